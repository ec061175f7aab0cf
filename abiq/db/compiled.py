"""Hot queries whose SQL is generated once, not on every request.

Profiles of ``GET task`` showed most of the time in peewee building the same
SQL text again and again, then building model instances field by field. A
:class:`Compiled` query is built once per SQL dialect with sentinel
parameters; later calls only substitute the values and run the text, still
fully parameterised (no value is ever put in the SQL), and turn each row
into a model instance with converters chosen once per column.

Writes on the task engine's hot path are compiled the same way (an UPDATE
through :meth:`Compiled.execute`, a whole-row INSERT through
:class:`CompiledInsert`): under SQLite every one of them runs while the
process's write lock is held, so the time spent building SQL is time every
other writer waits.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import peewee

from abiq.db.models import database

__all__ = ['Compiled', 'CompiledInsert', 'load']


class Compiled:
    """A query built once per dialect and executed with new parameters.

    Args:
        build: returns the query (a select, an update or a delete) for keyword
            arguments; it is called once per dialect with ``sample`` values,
            which mark where each parameter goes.
        sample: one distinct sample value per parameter name (strings, ints
            or datetimes: values peewee passes through unchanged); a name may
            be used more than once in the query.
    """

    def __init__(self, build: Callable[..., peewee.Query], **sample: Any) -> None:
        self.build = build
        self.sample = sample
        self._compiled: dict[type, _Plan] = {}
        self._lock = threading.Lock()

    def _compile(self) -> _Plan:
        dialect = type(database.obj)
        found = self._compiled.get(dialect)
        if found is None:
            query = self.build(**self.sample)
            sql, params = database.get_sql_context().sql(query).query()
            slots: list[Any] = []
            for param in params:
                names = [name for name, value in self.sample.items() if param is value]
                slots.append(_Slot(names[0]) if names else param)
            if {s.name for s in slots if isinstance(s, _Slot)} != set(self.sample):
                raise ValueError('every sample value must appear in the query')
            found = _Plan(getattr(query, 'model', None), sql, slots, _selected(query))
            with self._lock:
                self._compiled[dialect] = found
        return found

    def _run(self, values: dict[str, Any]) -> tuple[_Plan, Any]:
        plan = self._compile()
        params = [values[s.name] if isinstance(s, _Slot) else s for s in plan.slots]
        return plan, database.execute_sql(plan.sql, params)

    def rows(self, **values: Any) -> list[Any]:
        """Run the select with these parameter values; return model rows."""
        plan, cursor = self._run(values)
        return [plan.instance(row) for row in cursor.fetchall()]

    def joined(self, **values: Any) -> list[dict[Any, Any]]:
        """Run a select of several models (outer joins included); return, per
        row, each model's instance (None where an outer join found nothing)."""
        plan, cursor = self._run(values)
        return [plan.instances(row) for row in cursor.fetchall()]

    def scalar(self, **values: Any) -> Any:
        """Run the select; return the first column of its first row (or None)."""
        row = self._run(values)[1].fetchone()
        return row[0] if row else None

    def execute(self, **values: Any) -> int:
        """Run the update or delete with these values; return the rows changed."""
        return self._run(values)[1].rowcount

    def first(self, **values: Any) -> Any:
        """Return the first row, or None."""
        found = self.rows(**values)
        return found[0] if found else None


class CompiledInsert:
    """An INSERT of one whole row of a model, its SQL built once per dialect.

    Values go through each field's own ``db_value``, and fields left out take
    their defaults, as ``Model.create`` would do; an auto-increment primary
    key is left to the database.
    """

    def __init__(self, model: type[peewee.Model]) -> None:
        meta = model._meta
        self.model = model
        self.fields = [
            field
            for field in meta.sorted_fields
            if not (field is meta.primary_key and isinstance(field, peewee.AutoField))
        ]
        self._sql: dict[type, str] = {}

    def _text(self) -> str:
        dialect = type(database.obj)
        sql = self._sql.get(dialect)
        if sql is None:
            quote = database.obj.quote
            columns = ', '.join(
                f'{quote[0]}{field.column_name}{quote[1]}' for field in self.fields
            )
            marks = ', '.join(database.obj.param for _ in self.fields)
            table = f'{quote[0]}{self.model._meta.table_name}{quote[1]}'
            sql = f'INSERT INTO {table} ({columns}) VALUES ({marks})'
            self._sql[dialect] = sql
        return sql

    def insert(self, **values: Any) -> dict[str, Any]:
        """Insert one row; ``values`` are by field name. Return every field's
        value as inserted (defaults included), by field name."""
        row = {}
        for field in self.fields:
            if field.name in values:
                row[field.name] = values[field.name]
            else:
                default = field.default
                row[field.name] = default() if callable(default) else default
        params = [field.db_value(row[field.name]) for field in self.fields]
        database.execute_sql(self._text(), params)
        return row


def load(query: peewee.ModelSelect) -> list[Any]:
    """Run a select built for this request and return its model rows, made
    as :class:`Compiled` makes them (a page of tasks, the jobs of a page).

    A select of anything but whole models and plain fields is left to
    peewee.
    """
    columns = _selected(query)
    if columns is None:
        return list(query)
    sql, params = query.sql()
    plan = _Plan(query.model, sql, [], columns)
    return [plan.instance(row) for row in database.execute_sql(sql, params)]


def _selected(query: peewee.Query) -> list[tuple[Any, str, Any]] | None:
    """Return the columns of a model select (None: it selects expressions)."""
    if not isinstance(query, peewee.ModelSelect):
        return None
    try:
        return _columns(query)
    except ValueError:
        return None


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

    def __init__(
        self, model: Any, sql: str, slots: list[Any], columns: list | None
    ) -> None:
        self.model, self.sql, self.slots, self.columns = model, sql, slots, columns
        if columns is None:
            return
        # NOTE: what each row needs is worked out once here: which model
        # each column belongs to, which columns need converting, and which
        # foreign key holds each joined model.
        self.owners: dict[Any, list[tuple[int, str]]] = {}
        for index, (owner, name, _) in enumerate(columns):
            self.owners.setdefault(owner, []).append((index, name))
        self.converts = [
            (index, name, convert)
            for index, (_, name, convert) in enumerate(columns)
            if convert is not None
        ]
        self.relations = {
            field.rel_model: field.name
            for field in model._meta.fields.values()
            if isinstance(field, peewee.ForeignKeyField)
        }

    def _data(self, row: Any) -> dict[Any, dict[str, Any]]:
        if self.columns is None:
            raise ValueError('this query selects expressions, not model rows')
        data = {
            owner: {name: row[i] for i, name in at} for owner, at in self.owners.items()
        }
        for index, name, convert in self.converts:
            value = row[index]
            if value is not None:
                data[self.columns[index][0]][name] = convert(value)
        return data

    def instance(self, row: Any) -> Any:
        """Build the row's model instance; a joined model's columns become the
        related instance (``token.user``), so reading it needs no query."""
        data = self._data(row)
        obj = _made(self.model, data.pop(self.model))
        for other, values in data.items():
            obj.__rel__[self.relations[other]] = _made(other, values)
        return obj

    def instances(self, row: Any) -> dict[Any, Any]:
        """Build each model's instance of the row (None for a joined model
        whose columns are all NULL: an outer join that found nothing)."""
        return {
            owner: None
            if owner is not self.model and all(v is None for v in values.values())
            else _made(owner, values)
            for owner, values in self._data(row).items()
        }


def _made(model: Any, data: dict[str, Any]) -> Any:
    # NOTE: straight into the instance's data, as peewee's own cursor wrapper
    # does, without its per-row column bookkeeping.
    obj = model(__no_default__=1)
    obj.__data__ = data
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
