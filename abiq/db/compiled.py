"""Hot queries whose SQL is generated once, not on every request.

Profiles of ``GET task`` showed most of the time in peewee building the same
SQL text again and again. A :class:`Compiled` query is built once per SQL
dialect with sentinel parameters; later calls only substitute the values and
run the text, still fully parameterised (no value is ever put in the SQL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import peewee

from abiq.db.models import database

__all__ = ['Compiled']


class Compiled:
    """A select built once per dialect and executed with new parameters.

    Args:
        build: returns the query for keyword arguments; it is called once per
            dialect with ``sample`` values, which mark where each parameter
            goes.
        sample: one distinct sample value per parameter name.
    """

    def __init__(self, build: Callable[..., peewee.ModelSelect], **sample: Any) -> None:
        self.build = build
        self.sample = sample
        self._compiled: dict[type, tuple[Any, str, list[Any]]] = {}
        self._lock = threading.Lock()

    def _compile(self) -> tuple[Any, str, list[Any]]:
        dialect = type(database.obj)
        found = self._compiled.get(dialect)
        if found is None:
            query = self.build(**self.sample)
            sql, params = query.sql()
            slots: list[Any] = []
            for param in params:
                names = [name for name, value in self.sample.items() if param is value]
                slots.append(_Slot(names[0]) if names else param)
            if sorted(s.name for s in slots if isinstance(s, _Slot)) != sorted(
                self.sample
            ):
                raise ValueError('every sample value must appear exactly once')
            found = (query.model, sql, slots)
            with self._lock:
                self._compiled[dialect] = found
        return found

    def rows(self, **values: Any) -> list[Any]:
        """Run the query with these parameter values; return model rows."""
        model, sql, slots = self._compile()
        params = [values[s.name] if isinstance(s, _Slot) else s for s in slots]
        return list(model.raw(sql, *params))

    def first(self, **values: Any) -> Any:
        """Return the first row, or None."""
        found = self.rows(**values)
        return found[0] if found else None


class _Slot:
    __slots__ = ('name',)

    def __init__(self, name: str) -> None:
        self.name = name
