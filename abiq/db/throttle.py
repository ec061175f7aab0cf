"""Failed sign-ins counted per (user name, client address) pair.

The count lives in the database (``auth_failure``), so every process that
serves the same database (several ``abiq serve`` on PostgreSQL, or on one
SQLite file) sees the same count. A row is keyed by a SHA-256 of the pair,
so a row has the same size whatever the client sent, and it holds one
window of :data:`WINDOW` seconds, starting at the pair's first failure;
rows whose window has passed are deleted at most once a window per process.

Each process also remembers, in memory, the pairs it knows are throttled:
those let it refuse a credential it has verified before (and would answer
from its cache without a query) while the pair is throttled.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable

import peewee

from abiq.db.models import BaseModel

__all__ = ['WINDOW', 'AuthFailure', 'FailureCounter', 'pair_key']

#: seconds of a counting window ("failures a minute")
WINDOW = 60
_MAX_MARKS = 10000


class AuthFailure(BaseModel):
    """Failed sign-ins of one (user name, client address) pair in a window."""

    pair = peewee.CharField(max_length=64, primary_key=True)
    window_start = peewee.DoubleField(index=True)  # seconds since the epoch
    failures = peewee.IntegerField(default=0)

    class Meta:
        table_name = 'auth_failure'


def pair_key(name: str, address: str) -> str:
    """Return the stored form of a (user name, client address) pair."""
    # NOTE: a plain (not keyed) hash: every process must compute the same
    # key. Neither part is a secret; hashing bounds the size of the row.
    data = name.encode() + b'\x00' + address.encode()
    return hashlib.sha256(data).hexdigest()


class FailureCounter:
    """Counts failures per pair; tells how long a throttled pair waits.

    Args:
        limit: failures a pair may have in a window (0: never throttle).
        clock: the time in seconds since the epoch (shared by processes).
    """

    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.clock = clock
        #: pair -> when its window ends, for the pairs known to be throttled
        self.marks: dict[str, float] = {}
        self._lock = threading.Lock()
        self._purged = 0.0
        self._latest = 0.0  # when the last window known here ends

    def marked(self, pair: str) -> int:
        """Return the seconds a pair known here to be throttled still waits."""
        now = self.clock()
        if now >= self._latest:
            # NOTE: every window known here is over: with no marks left,
            # a remembered credential is again a mere dictionary lookup.
            with self._lock:
                if now >= self._latest:
                    self.marks = {}
            return 0
        until = self.marks.get(pair)
        return _seconds_until(until, now) if until else 0

    def wait(self, pair: str) -> int:
        """Return the seconds a pair must wait (0: it may try); one query."""
        if not self.limit:
            return 0
        now = self.clock()
        row = (
            AuthFailure.select(AuthFailure.window_start, AuthFailure.failures)
            .where(AuthFailure.pair == pair)
            .tuples()
            .first()
        )
        if row is None or row[1] < self.limit or row[0] + WINDOW <= now:
            return 0
        self._mark(pair, row[0] + WINDOW, now)
        return _seconds_until(row[0] + WINDOW, now)

    def failed(self, pair: str) -> None:
        """Count a failure of a pair (a new window once the last one ended)."""
        if not self.limit:
            return
        now = self.clock()
        old = AuthFailure.window_start <= now - WINDOW
        AuthFailure.insert(pair=pair, window_start=now, failures=1).on_conflict(
            conflict_target=[AuthFailure.pair],
            update={
                AuthFailure.failures: peewee.Case(
                    None, [(old, 1)], AuthFailure.failures + 1
                ),
                AuthFailure.window_start: peewee.Case(
                    None, [(old, now)], AuthFailure.window_start
                ),
            },
        ).execute()
        # NOTE: read back rather than RETURNING (peewee does not use it on
        # SQLite): failures counted by other processes count here too.
        self.wait(pair)
        # NOTE: also when the wall clock went back (a step of NTP).
        if not 0 <= now - self._purged <= WINDOW:
            self._purged = now
            AuthFailure.delete().where(
                AuthFailure.window_start <= now - WINDOW
            ).execute()

    def forget(self) -> None:
        """Drop the pairs known here to be throttled (the database keeps them)."""
        with self._lock:
            self.marks = {}
            self._latest = 0.0

    def _mark(self, pair: str, until: float, now: float) -> None:
        with self._lock:
            if len(self.marks) >= _MAX_MARKS:
                # NOTE: keep the newest half of those still running: a
                # forgotten mark only lets a cached credential of that pair
                # through, until the next miss for it (which checks again).
                live = [(k, v) for k, v in self.marks.items() if v > now]
                self.marks = dict(live[-(_MAX_MARKS // 2) :])
            self.marks[pair] = until
            self._latest = max(self._latest, until)


def _seconds_until(until: float, now: float) -> int:
    """Whole seconds from now until a time (at least 1 while before it)."""
    return max(math.ceil(until - now), 1) if until > now else 0
