"""Collection pages whose SQL is built once per shape, not on every request.

A page is two statements, the count of the filtered rows and the window of
the page's rows. Profiles of a page of 25 tasks showed half its time in
peewee building the same SQL again. A :class:`Listing` describes the
filtered query by its *shape* (which conditions it has: a caller's
enterprise or none, how many statuses, a type or not, a search or not) and
the values of those conditions apart; each shape's statements are compiled
once (:class:`abiq.db.compiled.Compiled`, per SQL dialect) and a request
only binds its values, still fully parameterised.

The shapes are few (every key part is a small choice, never a value a
client sends), and the statements are kept in a bounded cache all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import peewee

from abiq.caches import BoundedCache
from abiq.db.compiled import Compiled
from abiq.db.compiled import load

__all__ = ['Listing', 'like_pattern']

# NOTE: a compiled statement keeps its SQL text and row plan, ~4 KiB.
_STATEMENTS: BoundedCache[Compiled] = BoundedCache(entries=512, max_bytes=4 << 20)
_STATEMENT_SIZE = 4096
_ESCAPE = '\\'


def like_pattern(needle: str) -> str:
    """Return the LIKE pattern that finds ``needle`` anywhere, its own ``%``,
    ``_`` and ``\\`` taken literally (with ``ESCAPE '\\'``)."""
    escaped = (
        needle.replace(_ESCAPE, _ESCAPE * 2).replace('_', r'\_').replace('%', r'\%')
    )
    return f'%{escaped}%'


@dataclass(frozen=True)
class Listing:
    """A filtered select of a collection: its shape, and its values apart.

    Args:
        shape: what tells this query's structure from another's (never a
            value: those go in ``values``).
        build: returns the filtered select for keyword arguments named as
            ``values``' keys: real values, or parameter nodes when compiled.
        values: the values of this request.
    """

    shape: Hashable
    build: Callable[..., peewee.ModelSelect]
    values: Mapping[str, Any] = field(default_factory=dict)

    def select(self) -> peewee.ModelSelect:
        """Return the filtered select with this request's values."""
        return self.build(**self.values)

    def searching(self, fields: tuple[peewee.Field, ...], needle: str) -> Listing:
        """Return this listing narrowed to rows where any of ``fields``
        contains ``needle``, case-insensitively."""
        base = self

        def build(search: Any, **values: Any) -> peewee.ModelSelect:
            # NOTE: lower() on both sides makes it case-insensitive on SQLite
            # and PostgreSQL alike; the pattern is one parameter.
            condition = None
            for text_field in fields:
                term = peewee.Expression(
                    peewee.fn.LOWER(text_field),
                    peewee.OP.ILIKE,
                    peewee.NodeList(
                        (
                            search,
                            peewee.SQL('ESCAPE'),
                            peewee.Value(_ESCAPE, converter=False),
                        )
                    ),
                )
                condition = term if condition is None else condition | term
            return base.build(**values).where(condition)

        values = {**self.values, 'search': like_pattern(needle.lower())}
        # NOTE: a listing of no shape is built anew for each request; so is
        # its narrowed self.
        shape = None if self.shape is None else ('search', fields, self.shape)
        return Listing(shape, build, values)

    @classmethod
    def of(cls, select: peewee.ModelSelect) -> Listing:
        """Return a listing of a select built for this request alone (not
        compiled: peewee builds its SQL each time)."""
        return cls(None, lambda: select)

    def count(self) -> int:
        """Return how many rows the filtered select matches."""

        def build(**values: Any) -> peewee.ModelSelect:
            return self.build(**values).select(peewee.fn.COUNT(peewee.SQL('*')))

        if self.shape is None:
            return self.select().count()
        return self._compiled(('count',), build).scalar(**self.values)

    def window(
        self,
        order: tuple[peewee.Field, peewee.Field],
        ascending: bool,
        skip: int,
        size: int,
    ) -> list[Any]:
        """Return ``size`` rows after ``skip`` in ``order`` (a sort field
        and the unique tie breaker), ascending or descending.

        The offset is walked in a query of the keys alone, which an index
        can answer without reading the rows it skips; only the page's own
        rows are then read.
        """
        sort_field, tie_breaker = order

        def build(skip: Any, size: Any, **values: Any) -> peewee.ModelSelect:
            filtered = self.build(**values)
            if ascending:
                by = (sort_field.asc(), tie_breaker.asc())
            else:
                by = (sort_field.desc(), tie_breaker.desc())
            key = filtered.model._meta.primary_key
            keys = filtered.select(key).order_by(*by).offset(skip).limit(size)
            return filtered.where(key.in_(keys)).order_by(*by)

        values = {**self.values, 'skip': skip, 'size': size}
        if self.shape is None:
            return load(build(**values))
        key = ('window', sort_field, tie_breaker, ascending)
        return self._compiled(key, build, values).rows(**values)

    def _compiled(
        self,
        kind: tuple,
        build: Callable[..., peewee.Query],
        values: Mapping[str, Any] | None = None,
    ) -> Compiled:
        names = tuple(values if values is not None else self.values)
        key = (kind, self.shape, names)
        statement = _STATEMENTS.get(key)
        if statement is None:
            statement = Compiled(build, names)
            _STATEMENTS.put(key, statement, _STATEMENT_SIZE)
        return statement
