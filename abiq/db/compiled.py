"""Hot queries whose SQL is generated once, not on every request.

Profiles of ``GET task`` showed most of the time in peewee building the same
SQL text again and again, then building model instances field by field. A
:class:`Compiled` query is built once per SQL dialect with sentinel
parameters; later calls only substitute the values and run the text, still
fully parameterised (no value is ever put in the SQL), and turn each row
into a model instance with converters chosen once per column.
"""

from __future__ import annotations

import datetime as dt
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
        self._compiled: dict[type, _Plan] = {}
        self._lock = threading.Lock()

    def _compile(self) -> _Plan:
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
            found = _Plan(query.model, sql, slots, _columns(query))
            with self._lock:
                self._compiled[dialect] = found
        return found

    def rows(self, **values: Any) -> list[Any]:
        """Run the query with these parameter values; return model rows."""
        plan = self._compile()
        params = [values[s.name] if isinstance(s, _Slot) else s for s in plan.slots]
        cursor = database.execute_sql(plan.sql, params)
        return [plan.instance(row) for row in cursor.fetchall()]

    def first(self, **values: Any) -> Any:
        """Return the first row, or None."""
        found = self.rows(**values)
        return found[0] if found else None


def _columns(query: peewee.ModelSelect) -> list[tuple[Any, str, Any]]:
    """Return (model, field name, converter or None) per selected column."""
    columns = []
    for node in query._returning:
        if isinstance(node, peewee.Field):
            columns.append((node.model, node.name, _converter(node)))
        elif isinstance(node, type) and issubclass(node, peewee.Model):
            for field in node._meta.sorted_fields:
                columns.append((node, field.name, _converter(field)))
        else:
            raise ValueError('compiled queries select whole models or fields only')
    return columns


class _Plan:
    """One dialect's SQL for a query, and how its rows become instances."""

    def __init__(self, model: Any, sql: str, slots: list[Any], columns: list) -> None:
        self.model, self.sql, self.slots, self.columns = model, sql, slots, columns
        # NOTE: which foreign key holds each joined model, found once here
        # rather than for every row.
        self.relations = {
            field.rel_model: field.name
            for field in model._meta.fields.values()
            if isinstance(field, peewee.ForeignKeyField)
        }

    def instance(self, row: Any) -> Any:
        """Build the row's model instance; a joined model's columns become the
        related instance (``token.user``), so reading it needs no query."""
        data: dict[Any, dict[str, Any]] = {}
        for (owner, name, convert), value in zip(self.columns, row, strict=True):
            if convert is not None and value is not None:
                value = convert(value)
            data.setdefault(owner, {})[name] = value
        # NOTE: straight into the instance's data, as peewee's own cursor
        # wrapper does, without its per-row column bookkeeping.
        obj = self.model(__no_default__=1)
        obj.__data__ = data.pop(self.model)
        for other, values in data.items():
            related = other(__no_default__=1)
            related.__data__ = values
            obj.__rel__[self.relations[other]] = related
        return obj


def _converter(field: peewee.Field) -> Any:
    if isinstance(field, peewee.DateTimeField):
        return _datetime
    if isinstance(field, peewee.BooleanField):
        return bool
    return None


def _datetime(value: Any) -> dt.datetime:
    # NOTE: SQLite hands back the text peewee stored (ISO 8601 with a space);
    # PostgreSQL already returns datetimes.
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


class _Slot:
    __slots__ = ('name',)

    def __init__(self, name: str) -> None:
        self.name = name
