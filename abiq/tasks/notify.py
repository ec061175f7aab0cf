"""In-process wake-ups: "some task changed", for workers and long polls.

Within one process a worker that changes a task, or a request that submits
one, calls :meth:`Changes.notify`; everything waiting wakes at once. Other
processes are not reached by this: they fall back on polling at a slow
interval (PostgreSQL LISTEN/NOTIFY is the cross-process path).
"""

from __future__ import annotations

import threading

__all__ = ['Changes']


class Changes:
    """A counter of task changes that threads can wait on."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        """Return the current change count."""
        return self._generation

    def notify(self) -> None:
        """Record a change and wake every waiter."""
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until the count moves past ``seen`` or ``timeout`` passes.

        Returns:
            The count when the wait ended.
        """
        with self._condition:
            self._condition.wait_for(lambda: self._generation != seen, timeout)
            return self._generation
