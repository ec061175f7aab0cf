"""Database faults: errors that say the database, not the request, failed.

A connection can break under any query (PostgreSQL restarted, a failover,
``pg_terminate_backend``, a network cut), a disk can fill up, a database
can turn read-only. None of these is the client's fault or a bug in abiq:
requests get 503 (507 for a full disk) with ``Retry-After``, and workers
drop the connection and reconnect with :class:`Backoff`.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import peewee
from playhouse.pool import MaxConnectionsExceeded
from playhouse.pool import PooledDatabase

from abiq.db.models import database

__all__ = ['Backoff', 'Fault', 'discard_connection', 'fault_of']

log = logging.getLogger('abiq.db')

# NOTE: SQLite says "database or disk is full"; PostgreSQL fails with
# SQLSTATE 53100 (disk_full), or "could not extend file" / "No space left on
# device" when it meets ENOSPC outside that code.
_FULL_TEXTS = ('disk is full', 'no space left', 'could not extend file')
_FULL_CODES = ('53100', '53200')  # disk_full, out_of_memory
# SQLSTATE classes of a broken or unusable server: connection exceptions,
# read-only transactions (a standby after failover), operator intervention
# (admin shutdown, pg_terminate_backend), system errors.
_SERVER_CLASSES = ('08', '25', '53', '57', '58')
#: what a client is told to wait before trying again (seconds)
RETRY_AFTER = 1


@dataclass(frozen=True)
class Fault:
    """How a database fault is answered: status, code and message."""

    status: int
    code: str
    message: str


_UNAVAILABLE = Fault(
    503, '503-SERVICE-UNAVAILABLE', 'The database is unavailable; try again shortly'
)
_FULL = Fault(
    507,
    '507-INSUFFICIENT-STORAGE',
    'The database has no space left to store this; nothing was changed',
)


def fault_of(ex: BaseException) -> Fault | None:
    """Return the fault an exception reports, or None when it is no fault.

    Integrity, data and programming errors are not faults: they are bugs
    (or a 4xx the caller forgot to check), and stay 500s.
    """
    if isinstance(ex, MaxConnectionsExceeded):
        return _UNAVAILABLE
    if not isinstance(ex, (peewee.DatabaseError, peewee.InterfaceError)):
        return None
    chain = list(_chain(ex))
    codes = [getattr(each, 'pgcode', None) or '' for each in chain]
    text = ' '.join(str(each) for each in chain).lower()
    if any(code in _FULL_CODES for code in codes) or any(
        marker in text for marker in _FULL_TEXTS
    ):
        return _FULL
    if isinstance(ex, (peewee.OperationalError, peewee.InterfaceError)):
        return _UNAVAILABLE
    if any(code[:2] in _SERVER_CLASSES for code in codes):
        return _UNAVAILABLE
    return None


def _chain(ex: BaseException):  # type: ignore[no-untyped-def]
    """Yield an exception and those it was raised from or while handling.

    NOTE: SQLite rolls a transaction back itself when the disk is full, so
    the rollback that follows fails ("no transaction is active") and the
    "disk is full" is only in the exception it was raised during.
    """
    seen = 0
    while ex is not None and seen < 8:
        yield ex
        ex = ex.__cause__ or ex.__context__
        seen += 1


def discard_connection() -> None:
    """Drop this thread's connection after a fault, whatever its state.

    The next :meth:`~peewee.Database.connect` opens a fresh one. On a pool,
    a connection that turned out dead means its idle siblings (opened
    before the same restart or failover) are dead too, so they go as well.
    """
    db = database.obj
    if db is None or db.is_closed():
        return
    raw = db.connection()
    dead = bool(getattr(raw, 'closed', 0))
    # NOTE: whatever transaction was open died with the connection; peewee
    # refuses to close a database that still thinks it is in one.
    while db.in_transaction():
        db.pop_transaction()
    try:
        if isinstance(db, PooledDatabase):
            db.manual_close()
            if dead:
                db.close_idle()
        else:
            db.close()
    except Exception:
        # NOTE: a dead connection may fail even to close; peewee forgets it
        # all the same.
        log.debug('closing a failed connection failed', exc_info=True)


class Backoff:
    """Exponential delays with jitter, for reconnecting after faults.

    Args:
        first: the first delay (seconds).
        cap: the longest delay.
    """

    def __init__(self, first: float = 0.05, cap: float = 5.0) -> None:
        self.first = first
        self.cap = cap
        self._next = first

    def delay(self) -> float:
        """Return the next delay, and double the one after."""
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        # NOTE: jitter, so the workers of every process do not reconnect in
        # lockstep after a failover.
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        """Start again from the first delay (the database answered)."""
        self._next = self.first
