"""Group commit: the write transactions of a process's threads share COMMITs.

With ``synchronous=FULL`` (the default, :doc:`faults`) every COMMIT waits
for the disk, ~0.5-2.5 ms here, and SQLite has one writer at a time: a
process whose threads commit one after another can commit no more often
than the disk syncs, however little each transaction does.

Here every write transaction of the process runs on one shared connection,
one thread at a time (the writers queue on a lock, as before), each inside
a savepoint of its own within one open SQLite transaction: a *batch*. A
thread whose transaction ends keeps its work (RELEASE) or undoes it alone
(ROLLBACK TO), then:

* if other writers are waiting for the lock, and the batch is still small
  and young, it hands the lock on and waits: the next writer joins the same
  batch, and the last one commits it;
* otherwise it commits the batch: one sync for all its members.

A thread's ``commit()`` returns only once its batch is on disk, so nothing
is acknowledged (no 201, no 202, no finished job) before it is durable; if
the COMMIT fails, every member of the batch gets the error. Members of one
batch see each other's kept work, which commits or fails with theirs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import peewee

__all__ = ['GroupCommit']

#: a batch stops taking members at this many, or this old (seconds), so a
#: steady stream of writers never holds the first ones' answers back long
MAX_MEMBERS = 64
MAX_AGE = 0.005
_SAVEPOINT = 'abiq_member'


class _Batch:
    """One open SQLite transaction and the threads whose work it holds."""

    __slots__ = ('done', 'error', 'kept', 'started')

    def __init__(self) -> None:
        self.kept = 0
        self.started = time.monotonic()
        self.done = threading.Event()
        self.error: BaseException | None = None

    def full(self) -> bool:
        return self.kept >= MAX_MEMBERS or time.monotonic() - self.started > MAX_AGE


class GroupCommit:
    """The shared write connection of one process and its open batch.

    Args:
        connect: opens the shared connection (usable from any thread).
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._count = threading.Lock()
        self._waiting = 0
        self._conn: sqlite3.Connection | None = None
        self._batch: _Batch | None = None
        #: batches committed (each one sync of the disk)
        self.commits = 0

    def enter(self) -> sqlite3.Connection:
        """Wait for the lock; return the shared connection, inside a
        savepoint of this thread's own within the open batch."""
        with self._count:
            self._waiting += 1
        self._lock.acquire()
        with self._count:
            self._waiting -= 1
        try:
            with peewee.__exception_wrapper__:
                if self._conn is None:
                    self._conn = self._connect()
                if self._batch is None:
                    self._conn.execute('BEGIN IMMEDIATE')
                    self._batch = _Batch()
                self._conn.execute(f'SAVEPOINT {_SAVEPOINT}')
        except BaseException:
            self._end_batch_on_error()
            self._lock.release()
            raise
        return self._conn

    def leave(self, keep: bool) -> None:
        """End this thread's part: keep it (and return once it is on disk)
        or undo it. Must follow :meth:`enter`, in the same thread."""
        batch, conn = self._batch, self._conn
        assert batch is not None and conn is not None
        try:
            with peewee.__exception_wrapper__:
                if keep:
                    conn.execute(f'RELEASE {_SAVEPOINT}')
                    batch.kept += 1
                else:
                    conn.execute(f'ROLLBACK TO {_SAVEPOINT}')
                    conn.execute(f'RELEASE {_SAVEPOINT}')
        except BaseException:
            self._end_batch_on_error()
            self._lock.release()
            raise
        if self._waiting and not batch.full():
            # NOTE: the next writer joins this batch; the last one commits.
            self._lock.release()
        else:
            self._commit(batch)
        if keep:
            batch.done.wait()
            if batch.error is not None:
                raise batch.error

    def _commit(self, batch: _Batch) -> None:
        """COMMIT the batch (the lock held), tell its members, let go."""
        assert self._conn is not None
        try:
            with peewee.__exception_wrapper__:
                self._conn.execute('COMMIT' if batch.kept else 'ROLLBACK')
            self.commits += 1 if batch.kept else 0
        except BaseException as ex:  # noqa: BLE001 - every member is told
            batch.error = ex
            self._rollback_quietly()
        finally:
            self._batch = None
            batch.done.set()
            self._lock.release()

    def _end_batch_on_error(self) -> None:
        """A control statement failed: the batch is undone for everyone."""
        batch, self._batch = self._batch, None
        if batch is not None:
            batch.error = peewee.OperationalError(
                'the transaction shared with this one failed'
            )
            self._rollback_quietly()
            batch.done.set()

    def _rollback_quietly(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            try:
                self._conn.execute('ROLLBACK')
            except sqlite3.Error:
                # NOTE: a broken connection is dropped; the next writer opens
                # another.
                self._conn.close()
                self._conn = None

    def close(self, timeout: float = -1) -> bool:
        """Close the shared connection once no batch is open; False when
        ``timeout`` seconds passed first (a writer still holds it)."""
        if not self._lock.acquire(timeout=timeout):
            return False
        try:
            if self._conn is not None and self._batch is None:
                self._conn.close()
                self._conn = None
            return self._conn is None
        finally:
            self._lock.release()
