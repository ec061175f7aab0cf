"""Hot queries whose SQL is generated once, not on every request.

Profiles of ``GET task`` showed most of the time in peewee building the same
SQL text again and again, then building model instances field by field. A
:class:`Compiled` statement is built once per SQL dialect with named
parameters (:func:`param`, a public ``peewee.Value`` holding a
:class:`Param`); later calls only put the values in their places and run
the text, still fully parameterised (no value is ever put in the SQL).

A select's rows become plain slotted records (:func:`record_type`), one per
model of the row, with the attribute names of the model (``task.status``,
``task.enterprise_id``, ``token.user``): reading them never touches peewee.

Writes on the task engine's hot path are compiled the same way (an UPDATE
through :meth:`Compiled.execute`, a whole-row INSERT through
:class:`CompiledInsert`): under SQLite every one of them runs while the
process's write lock is held, so the time spent building SQL is time every
other writer waits.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import peewee

from abiq.db import prepared
from abiq.db.models import database
from abiq.db.prepared import Prepared
from abiq.db.records import Record
from abiq.db.records import RowPlan
from abiq.db.records import record_type

__all__ = ['Compiled', 'CompiledInsert', 'Param', 'Record', 'literal', 'load', 'param']


class Param:
    """Where a named parameter's value goes in a compiled statement."""

    __slots__ = ('name',)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f'Param({self.name!r})'


def param(name: str) -> peewee.Value:
    """Return the query node of a named parameter.

    ``converter=False`` keeps peewee from converting the marker (a field's
    ``db_value``), so the marker itself lands in the parameter list.
    """
    return peewee.Value(Param(name), converter=False)


def literal(value: str | int) -> peewee.SQL:
    """Return a fixed word (a status) or count (a limit) written into the
    SQL, not sent as a parameter.

    A prepared statement's generic plan knows nothing of its parameters'
    values: PostgreSQL could not tell that ``status = $1`` meant a partial
    index's ``status = 'pending'``, and sought on another index through
    every finished task; and it reckons ``LIMIT $1`` at a tenth of the rows,
    so with thousands of pending tasks it judged the generic claim dearer
    than planning each claim anew, 0.3 ms of its CPU every time
    (docs/performance.rst). Only identifier-like words and integers are
    taken, so nothing but such a constant reaches the SQL this way.
    """
    if type(value) is int:
        return peewee.SQL(str(value))
    if not isinstance(value, str) or not value.isidentifier():
        raise ValueError(f'not a fixed word: {value!r}')
    return peewee.SQL(f"'{value}'")


class Compiled:
    """A query built once per dialect and executed with new parameters.

    Args:
        build: returns the query (a select, an update, an insert or a
            delete) for keyword arguments: either real values (see
            :meth:`query`) or :func:`param` nodes, which it is called with
            once per dialect.
        names: the parameter names (default: ``build``'s own parameters).
    """

    def __init__(
        self, build: Callable[..., peewee.Query], names: Iterable[str] | None = None
    ) -> None:
        self.build = build
        self.names = tuple(names or inspect.signature(build).parameters)
        self._plans: dict[type, _Plan] = {}

    def query(self, **values: Any) -> peewee.Query:
        """Return the query peewee builds for these real values."""
        return self.build(**values)

    def statement(self, **values: Any) -> tuple[str, list[Any]]:
        """Return the SQL and the parameters these values are run with."""
        plan = self._plan()
        return plan.sql, plan.params(values)

    def _plan(self) -> _Plan:
        plan = self._plans.get(type(database.obj))
        if plan is None:
            query = self.build(**{name: param(name) for name in self.names})
            # NOTE: through the bound database's context, as a select built
            # without a model (a count) is bound to no database.
            sql, params = database.get_sql_context().sql(query).query()
            slots = [(i, p.name) for i, p in enumerate(params) if isinstance(p, Param)]
            if {name for _, name in slots} != set(self.names):
                raise ValueError('every parameter must appear in the query')
            plan = _Plan(sql, params, slots, RowPlan.of(query))
            if getattr(database.obj, 'prepares', False):
                plan.prepared = Prepared(sql, len(params))
            self._plans[type(database.obj)] = plan
        return plan

    def _cursor(self, values: dict[str, Any]) -> Any:
        plan = self._plan()
        params = plan.params(values)
        if plan.prepared is not None:
            return prepared.run(database.obj, plan.prepared, params)
        return database.execute_sql(plan.sql, params)

    def rows(self, **values: Any) -> list[Any]:
        """Run the select with these parameter values; return its records."""
        made = self._plan().rows.record
        return [made(row) for row in self._cursor(values).fetchall()]

    def joined(self, **values: Any) -> list[dict[Any, Any]]:
        """Run a select of several models (outer joins included); return, per
        row, each model's record (None where an outer join found nothing)."""
        made = self._plan().rows.records
        return [made(row) for row in self._cursor(values).fetchall()]

    def scalar(self, **values: Any) -> Any:
        """Run the select; return the first column of its first row (or None)."""
        row = self._cursor(values).fetchone()
        return row[0] if row else None

    def execute(self, **values: Any) -> int:
        """Run the update, insert or delete; return the rows changed."""
        return self._cursor(values).rowcount

    def first(self, **values: Any) -> Any:
        """Return the first row's record, or None."""
        found = self.rows(**values)
        return found[0] if found else None


class _Plan:
    """One dialect's SQL for a statement, and where each parameter goes."""

    __slots__ = ('constants', 'prepared', 'rows', 'slots', 'sql')

    def __init__(
        self, sql: str, constants: list, slots: list, rows: RowPlan | None
    ) -> None:
        self.sql, self.constants, self.slots, self.rows = sql, constants, slots, rows
        self.prepared: Prepared | None = None  # PostgreSQL, when it prepares

    def params(self, values: dict[str, Any]) -> list[Any]:
        """Return the parameters to run the SQL with, for these values."""
        params = list(self.constants)
        for index, name in self.slots:
            params[index] = values[name]
        return params


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
        self.statement = Compiled(
            lambda **values: model.insert(
                {field: values[field.name] for field in self.fields}
            ),
            names=[field.name for field in self.fields],
        )
        self._columns = [
            (field.name, field.default, callable(field.default), field.db_value)
            for field in self.fields
        ]
        self._stored_as = {field.name: _stored_as(field) for field in self.fields}

    def insert(self, **values: Any) -> Record:
        """Insert one row; ``values`` are by field name. Return its record
        (defaults included; an auto-increment key stays None)."""
        row, params = {}, {}
        stored_as = self._stored_as
        for name, default, make, db_value in self._columns:
            if name in values:
                value = values[name]
            else:
                value = default() if make else default
            row[name] = value
            # NOTE: a value already of the type its field stores goes as it is
            # (its db_value would return it unchanged); ~35 calls a task.
            if value is None or type(value) is stored_as[name]:
                params[name] = value
            else:
                params[name] = db_value(value)
        self.statement.execute(**params)
        return record_type(self.model).of(row)


#: the Python type each kind of field hands the driver unchanged (None: none)
_UNCHANGED = (
    (peewee.ForeignKeyField, None),
    (peewee.BooleanField, bool),
    (peewee.IntegerField, int),
    (peewee.DateTimeField, dt.datetime),
    (peewee.CharField, str),
    (peewee.TextField, str),
)


def _stored_as(field: peewee.Field) -> type | None:
    """Return the type whose values ``field.db_value`` returns as they are."""
    for kind, unchanged in _UNCHANGED:
        if isinstance(field, kind):
            if kind is peewee.ForeignKeyField:
                return _stored_as(field.rel_field)
            return unchanged
    return None


def load(query: peewee.ModelSelect) -> list[Any]:
    """Run a select built for this request and return its records, made
    as :class:`Compiled` makes them (a page of tasks, the jobs of a page).

    A select of anything but whole models and plain fields is left to
    peewee.
    """
    rows = RowPlan.of(query)
    if rows is None:
        return list(query)
    sql, params = query.sql()
    return [rows.record(row) for row in database.execute_sql(sql, params)]
