"""SQLite with one writer at a time per process, queued on a Python lock.

SQLite allows one writer per database. A writer that finds the lock taken
calls SQLite's busy handler, which sleeps and retries (1 ms, 2 ms, 5 ms, ...
up to ``busy_timeout``), so threads of one process that write often (request
threads and task workers) spend most of their time asleep while the lock is
free. Here they queue on a :class:`threading.Lock` instead, which hands the
lock over the moment it is released; only writers in other processes still
meet the busy handler.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import peewee

__all__ = ['SqliteDatabase']

# NOTE: statements that take SQLite's write lock when they run outside a
# transaction (autocommit).
_WRITE = re.compile(r'\s*(INSERT|UPDATE|DELETE|REPLACE)\b', re.IGNORECASE)


class SqliteDatabase(peewee.SqliteDatabase):
    """A peewee SQLite database whose transactions begin IMMEDIATE and whose
    writers, in this process, take turns on a Python lock.

    Every transaction is a write transaction unless it asks for
    ``lock_type='DEFERRED'``: it takes the write lock when it begins, so a
    transaction that reads and then writes never meets a "database is
    locked" when it upgrades.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('lock_type', 'IMMEDIATE')
        super().__init__(*args, **kwargs)
        self._writer = threading.Lock()
        self._holder = threading.local()

    def _take(self) -> None:
        self._writer.acquire()
        self._holder.held = True

    def _give_back(self) -> None:
        if getattr(self._holder, 'held', False):
            self._holder.held = False
            self._writer.release()

    def begin(self, lock_type: str | None = None) -> None:
        if (lock_type or self._lock_type) == 'DEFERRED':
            # NOTE: a read transaction (one snapshot for several queries)
            # takes no write lock; it must not write.
            super().begin(lock_type)
            return
        self._take()
        try:
            super().begin(lock_type)
        except BaseException:
            self._give_back()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._give_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_back()

    def close(self) -> bool:
        # NOTE: closing a connection ends its transaction; the lock goes with it.
        try:
            return super().close()
        finally:
            self._give_back()

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if self.in_transaction() or not _WRITE.match(sql):
            return super().execute_sql(sql, params)
        with self._writer:
            return super().execute_sql(sql, params)
