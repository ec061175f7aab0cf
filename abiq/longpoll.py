"""Long polling (RFC 7240 ``Prefer: wait=N``) without holding a connection.

A waiting request releases its database connection, then sleeps on the
in-process change signal (woken at once by a worker of the same process)
and re-reads the task's revision at a short interval (changes made by other
processes). At most ``max_waiters`` requests wait at once, so waiting never
takes every server thread; beyond that the answer is 503 with Retry-After.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from abiq.db.models import database
from abiq.errors import ApiError
from abiq.tasks.notify import Changes

__all__ = ['Waiter', 'requested_wait']

_WAIT = re.compile(r'(?:^|[,;\s])wait\s*=\s*"?(\d+)"?', re.IGNORECASE)
# NOTE: how often a waiter re-reads the database for changes made by other
# processes; in-process changes wake it at once.
CROSS_PROCESS_POLL = 0.2


def requested_wait(prefer: str | None, cap: int) -> int | None:
    """Return the seconds a ``Prefer`` header asks to wait, capped; else None."""
    if not prefer:
        return None
    match = _WAIT.search(prefer)
    if not match:
        return None
    return min(int(match.group(1)), cap)


class Waiter:
    """Waits for something to change, within a concurrency limit.

    Args:
        changes: the in-process change signal.
        max_waiters: how many requests may wait at once.
    """

    def __init__(self, changes: Changes, max_waiters: int) -> None:
        self.changes = changes
        #: seconds between re-reads for other processes' changes; raised
        #: when a LISTEN/NOTIFY listener delivers those changes instead
        self.poll_interval = CROSS_PROCESS_POLL
        self._slots = threading.BoundedSemaphore(max(max_waiters, 1))
        self.enabled = max_waiters > 0

    def wait(self, seconds: float, changed: Callable[[], bool]) -> bool:
        """Wait until ``changed()`` is true or ``seconds`` pass.

        Returns:
            Whether the change happened.

        Raises:
            ApiError: 503 when too many requests are already waiting.
        """
        if not self.enabled or not self._slots.acquire(blocking=False):
            raise ApiError.one(
                503,
                '503-SERVICE-UNAVAILABLE',
                'Too many requests are waiting for changes; poll again shortly',
                Retry_After='1',
            )
        try:
            return self._wait(seconds, changed)
        finally:
            self._slots.release()
            database.connect(reuse_if_open=True)

    def _wait(self, seconds: float, changed: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + seconds
        while True:
            seen = self.changes.generation
            if _check(changed):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changes.wait(seen, min(left, self.poll_interval))


def _check(changed: Callable[[], bool]) -> bool:
    # NOTE: connect only for the check; the wait itself holds no connection.
    database.connect(reuse_if_open=True)
    try:
        return changed()
    finally:
        if not database.in_transaction():
            database.close()
