"""SQLite with one writer at a time per process, queued on a Python lock.

SQLite allows one writer per database. A writer that finds the lock taken
calls SQLite's busy handler, which sleeps and retries (1 ms, 2 ms, 5 ms, ...
up to ``busy_timeout``), so threads of one process that write often (request
threads and task workers) spend most of their time asleep while the lock is
free. Here they queue on a :class:`threading.Lock` instead, which hands the
lock over the moment it is released; only writers in other processes still
meet the busy handler. Writers that queue share COMMITs
(:mod:`abiq.db.groupcommit`).
"""

from __future__ import annotations

import atexit
import re
import sqlite3
import threading
import weakref
from typing import Any

import peewee

from abiq.db.groupcommit import GroupCommit

__all__ = ['SqliteDatabase']

# NOTE: statements that take SQLite's write lock when they run outside a
# transaction (autocommit).
_WRITE = re.compile(r'\s*(INSERT|UPDATE|DELETE|REPLACE)\b', re.IGNORECASE)


_OPEN: weakref.WeakSet[SqliteDatabase] = weakref.WeakSet()


@atexit.register
def _close_shared_connections() -> None:
    # NOTE: the last connection to close checkpoints the WAL into the
    # database file, so a file copied after the process ended (abiq init,
    # a prepared bench database) holds every commit. A writer still busy in
    # a daemon thread is not waited for long.
    for db in list(_OPEN):
        db.close_shared(timeout=1.0)


class SqliteDatabase(peewee.SqliteDatabase):
    """A peewee SQLite database whose write transactions begin IMMEDIATE,
    take turns on a Python lock, and share their COMMITs
    (:mod:`abiq.db.groupcommit`).

    Every transaction is a write transaction unless it asks for
    ``lock_type='DEFERRED'``: it takes the write lock when it begins, so a
    transaction that reads and then writes never meets a "database is
    locked" when it upgrades. A write transaction runs on the process's
    shared write connection; a read transaction, and every read outside
    one, on the thread's own connection.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('lock_type', 'IMMEDIATE')
        super().__init__(*args, **kwargs)
        self._group = GroupCommit(self._shared_connection)
        _OPEN.add(self)
        # NOTE: per thread, its own connection while it writes on the shared
        # one (peewee keeps the current connection per thread).
        self._member = threading.local()

    def _shared_connection(self) -> sqlite3.Connection:
        params = {**self.connect_params, 'check_same_thread': False}
        conn = sqlite3.connect(
            self.database, timeout=self._timeout, isolation_level=None, **params
        )
        self._add_conn_hooks(conn)
        return conn

    def _in_group(self) -> bool:
        return getattr(self._member, 'own', None) is not None

    def begin(self, lock_type: str | None = None) -> None:
        if (lock_type or self._lock_type) == 'DEFERRED' or self._private():
            # NOTE: a read transaction (one snapshot for several queries)
            # takes no write lock; it must not write.
            super().begin(lock_type)
            return
        shared = self._group.enter()
        state = self._state
        self._member.own = (state.conn, state.closed)
        state.conn, state.closed = shared, False

    def _leave(self, keep: bool) -> None:
        state = self._state
        state.conn, state.closed = self._member.own
        self._member.own = None
        self._group.leave(keep)

    def commit(self) -> None:
        if self._in_group():
            self._leave(keep=True)
        else:
            super().commit()

    def rollback(self) -> None:
        if self._in_group():
            self._leave(keep=False)
        else:
            super().rollback()

    def close(self) -> bool:
        # NOTE: closing a connection ends its transaction: a write in
        # progress is undone (the shared connection stays open).
        if self._in_group():
            self._leave(keep=False)
        return super().close()

    def close_shared(self, timeout: float = -1) -> None:
        """Close the shared write connection (the process is stopping)."""
        self._group.close(timeout)

    def _private(self) -> bool:
        # NOTE: an in-memory database is one per connection: nothing to share.
        return self.database == ':memory:' or not self.database

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if self.in_transaction() or not _WRITE.match(sql) or self._private():
            return super().execute_sql(sql, params)
        # NOTE: a write outside a transaction is a transaction of its own,
        # in a batch like any other.
        with self.atomic():
            return super().execute_sql(sql, params)
