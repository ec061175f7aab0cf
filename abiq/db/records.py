"""Rows as plain slotted records, with the attribute names of their model.

A compiled select (:mod:`abiq.db.compiled`) reads thousands of rows a
second; making a peewee model instance per row costs ~9 us through its
public constructor. A record costs ~1 us and reads as the model does:
``task.status``, ``task.enterprise_id`` (a foreign key's id), and
``token.user`` (the joined row, or one query for it, as peewee would).
Records are for reading; writes go through queries.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import peewee

__all__ = ['Record', 'RowPlan', 'record_type']

# NOTE: attributes a row may carry beyond its columns: the engine hands a
# task back with the jobs it was accepted with, or claimed with.
_EXTRA = {'Task': ('accepted_jobs', 'claimed_jobs')}


class Record:
    """A row read from the database: one attribute per column."""

    __slots__ = ()
    model: type[peewee.Model]
    names: frozenset[str]
    attributes: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        # NOTE: only reached for an attribute never set: a column the select
        # left out reads as None, as on a peewee instance.
        if name in type(self).names:
            return None
        raise AttributeError(f'{type(self).__name__} has no attribute {name!r}')

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {getattr(self, "id", None)!r}>'

    @classmethod
    def of(cls, values: dict[str, Any]) -> Record:
        """Return the record of a row given by field name."""
        made = cls.__new__(cls)
        for name, value in values.items():
            setattr(made, cls.attributes[name], value)
        return made


def _attribute(field: peewee.Field) -> str:
    if isinstance(field, peewee.ForeignKeyField):
        return field.object_id_name
    return field.name


def _related(field: peewee.ForeignKeyField) -> property:
    """Return the property that reads a foreign key's row."""
    slot, key = f'_{field.name}', field.object_id_name

    def read(self: Record) -> Any:
        try:
            return getattr(self, slot)
        except AttributeError:
            pass
        value = getattr(self, key)
        found = None if value is None else field.rel_model.get_by_id(value)
        setattr(self, slot, found)
        return found

    return property(read, doc=f'The {field.rel_model.__name__} row.')


@functools.cache
def record_type(model: type[peewee.Model]) -> type[Record]:
    """Return the record class of a model's rows."""
    fields = model._meta.sorted_fields
    keys = [field for field in fields if isinstance(field, peewee.ForeignKeyField)]
    slots = [_attribute(field) for field in fields]
    slots += [f'_{field.name}' for field in keys]
    namespace: dict[str, Any] = {
        '__slots__': (*slots, *_EXTRA.get(model.__name__, ())),
        'model': model,
        'names': frozenset(_attribute(field) for field in fields),
        'attributes': {field.name: _attribute(field) for field in fields},
    }
    for field in keys:
        namespace[field.name] = _related(field)
    return type(f'{model.__name__}Row', (Record,), namespace)


class RowPlan:
    """How a select's rows become records, worked out once per statement.

    Args:
        model: the model the select is from.
        columns: each selected field, in order.
    """

    def __init__(self, model: type[peewee.Model], columns: list[peewee.Field]) -> None:
        self.model = model
        at: dict[Any, list[tuple[int, peewee.Field]]] = {}
        for index, field in enumerate(columns):
            at.setdefault(field.model, []).append((index, field))
        #: each model of the row, and the function making its record
        self.makers = {
            owner: _maker(record_type(owner), fields, outer=owner is not model)
            for owner, fields in at.items()
        }
        # NOTE: which foreign key of the main model holds each joined model.
        self.relations = {
            field.rel_model: f'_{field.name}'
            for field in model._meta.sorted_fields
            if isinstance(field, peewee.ForeignKeyField)
        }
        main = self.makers[model]
        #: the main model's record of a row (joined ones set on it)
        self.record = main if len(self.makers) == 1 else self._joined_record

    @classmethod
    def of(cls, query: peewee.Query) -> RowPlan | None:
        """Return the plan of a model select, or of a write's ``RETURNING``
        (None: it selects expressions, or returns nothing)."""
        if isinstance(query, peewee.ModelSelect):
            columns = query.selected_columns
        elif isinstance(query, peewee._ModelWriteQueryHelper) and query._returning:
            columns = list(query._returning)
        else:
            return None
        if not all(isinstance(column, peewee.Field) for column in columns):
            return None
        return cls(query.model, columns)

    def _joined_record(self, row: Any) -> Record:
        """Return the main model's record; a joined model's columns become
        its related record (``token.user``), so reading it needs no query."""
        made = self.records(row)
        main = made.pop(self.model)
        for other, record in made.items():
            setattr(main, self.relations[other], record)
        return main

    def records(self, row: Any) -> dict[Any, Any]:
        """Return each model's record of the row (None for a joined model
        whose columns are all NULL: an outer join that found nothing)."""
        return {owner: make(row) for owner, make in self.makers.items()}


def _maker(
    kind: type[Record], fields: list[tuple[int, peewee.Field]], outer: bool
) -> Any:
    """Return the function that makes a ``kind`` record of a row's columns
    (``fields``: each column's index and field).

    PERF: a page of 25 tasks makes 75 records of up to 26 columns; a loop
    of ``setattr`` calls was a fifth of the page's cost. The function is
    written out for the plan (one attribute store a column, in one body),
    from field names and indexes only: no value ever reaches the source.
    """
    scope: dict[str, Any] = {'_new': kind.__new__, '_kind': kind}
    lines = []
    if outer:
        nulls = ' and '.join(f'row[{index}] is None' for index, _ in fields)
        lines.append(f'    if {nulls}:\n        return None')
    lines.append('    made = _new(_kind)')
    for index, field in fields:
        lines += _stores(kind, index, field, scope)
    lines.append('    return made')
    source = 'def make(row):\n' + '\n'.join(lines)
    exec(compile(source, f'<record maker of {kind.__name__}>', 'exec'), scope)  # noqa: S102
    return scope['make']


def _stores(kind: type[Record], index: int, field: peewee.Field, scope: dict) -> list:
    """Return the lines of a record maker that store one column (the
    functions they call put in ``scope``)."""
    name = _attribute(field)
    if not name.isidentifier():
        raise ValueError(f'{kind.__name__}: {name!r} is not an attribute name')
    convert = _converter(field)
    if convert is None:
        return [f'    made.{name} = row[{index}]']
    if convert is _datetime:
        # PERF: _datetime written out: a page of 25 converts 125 of them.
        scope['_fromiso'] = dt.datetime.fromisoformat
        return [
            f'    value = row[{index}]',
            '    if value.__class__ is str:\n        value = _fromiso(value)',
            f'    made.{name} = value',
        ]
    scope[f'_convert{index}'] = convert
    return [
        f'    value = row[{index}]',
        f'    made.{name} = None if value is None else _convert{index}(value)',
    ]


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
