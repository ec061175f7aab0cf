"""Compiled statements run as PostgreSQL prepared statements.

PostgreSQL parses and plans every statement it is sent; for the worker's
claim that was ~0.1 ms of its 0.2 ms, and the five statements of a
SLEEP(0) task cost it 0.77 ms where, prepared, they cost 0.38
(docs/performance.rst). A compiled statement's SQL never changes
(:mod:`abiq.db.compiled`), so each connection is sent ``PREPARE`` once per
statement, the first time it runs one, then only ``EXECUTE`` with the
values. Prepared statements belong to the session, not to a transaction:
a rollback keeps them, and a new connection (after a failover, or a
recycled one) prepares its own.

PgBouncer in transaction mode hands a session's statements to other
sessions; behind it set ``ABIQ_DATABASE_PREPARE=off``
(:doc:`configuration`).
"""

from __future__ import annotations

import itertools
import re
import threading
import weakref
from typing import Any

import peewee

__all__ = ['Prepared', 'PreparingPostgresDatabase', 'run']

_NAMES = itertools.count(1)
_PLACEHOLDER = re.compile(r'%%|%s')
#: connection -> names of the statements prepared on it
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class PreparingPostgresDatabase:
    """Marks a PostgreSQL database whose compiled statements are prepared
    (mixed into the pool class by :func:`abiq.db.open_database`)."""

    prepares: bool = True


class Prepared:
    """One compiled statement's ``PREPARE`` and ``EXECUTE``.

    Args:
        sql: the statement as peewee writes it for psycopg2 (``%s`` for each
            of its parameters, ``%%`` for a percent sign).
        count: how many parameters it takes.
    """

    __slots__ = ('execute', 'name', 'prepare')

    def __init__(self, sql: str, count: int) -> None:
        self.name = f'abiq_{next(_NAMES)}'
        numbers = itertools.count(1)
        # NOTE: %% stays: PREPARE goes through psycopg2's formatting too.
        body = _PLACEHOLDER.sub(
            lambda m: m[0] if m[0] == '%%' else f'${next(numbers)}', sql
        )
        self.prepare = f'PREPARE {self.name} AS {body}'
        self.execute = f'EXECUTE {self.name}'
        if count:
            self.execute += '(' + ', '.join(['%s'] * count) + ')'


def run(db: peewee.Database, statement: Prepared, params: list[Any]) -> Any:
    """Run a prepared statement on this thread's connection (preparing it
    there first if needed); return the cursor."""
    connection = db.connection()
    done = _PREPARED.get(connection)
    if done is None:
        with _LOCK:
            done = _PREPARED.setdefault(connection, set())
    if statement.name not in done:
        db.execute_sql(statement.prepare)
        # NOTE: only once it succeeded; a failed one is tried again.
        done.add(statement.name)
    return db.execute_sql(statement.execute, params)
