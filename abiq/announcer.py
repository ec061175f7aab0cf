"""This process's ``NOTIFY``s, sent from a thread of their own and coalesced.

A worker that changes a thousand tasks a second used to send a thousand
``NOTIFY`` statements, each a round trip on its own thread and a
transaction of PostgreSQL's, and each woke the listener of every process
(its own included): ~0.08 ms of PostgreSQL's CPU and as much of the
worker's a task (docs/performance.rst). Here :meth:`Announcer.announce`
only flags the change; one thread sends a ``NOTIFY`` for every change
flagged since its last one, then waits :data:`GAP` before the next, so a
burst is one ``NOTIFY`` a gap and no change waits longer than a gap plus a
round trip. Changes flagged before the process exits are still sent
(:meth:`Announcer.flush`, run at exit).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

from abiq.db.faults import Backoff

__all__ = ['GAP', 'Announcer']

#: the least time between two NOTIFYs of one process (seconds)
GAP = 0.01
log = logging.getLogger('abiq.notify')


class Announcer:
    """Sends ``send()`` (one ``NOTIFY``) for the changes :meth:`announce` flags.

    Args:
        send: sends one announcement; it may raise (the database is down),
            and is tried again after a delay.
        gap: the least time between two sends.
    """

    def __init__(self, send: Callable[[], None], gap: float = GAP) -> None:
        self._send = send
        self.gap = gap
        self._wanted = threading.Event()
        self._done = threading.Condition()
        self._flagged = 0  # changes flagged so far
        self._sent = 0  # of those, the ones a sent NOTIFY covered
        self._backoff = Backoff()
        self._closed = False
        self.pid = os.getpid()
        self._thread = threading.Thread(
            target=self._run, name='abiq-announce', daemon=True
        )
        self._thread.start()
        atexit.register(self.flush)

    def announce(self) -> None:
        """Flag a change; it is sent within a gap (no I/O here)."""
        with self._done:
            self._flagged += 1
        self._wanted.set()

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every change flagged so far was sent; False on timeout."""
        with self._done:
            flagged = self._flagged
            return self._done.wait_for(lambda: self._sent >= flagged, timeout)

    def close(self) -> None:
        """Stop sending; changes not sent yet are dropped."""
        atexit.unregister(self.flush)
        self._closed = True
        self._wanted.set()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            if self._closed:
                return
            self._wanted.clear()
            with self._done:
                covered = self._flagged
            try:
                self._send()
            except Exception as ex:  # NOTE: the database is down; try again
                log.warning('NOTIFY failed (%s); trying again', ex)
                self._wanted.set()
                time.sleep(self._backoff.delay())
                continue
            self._backoff.reset()
            with self._done:
                self._sent = covered
                self._done.notify_all()
            # NOTE: changes flagged meanwhile set _wanted again: one more
            # NOTIFY after the gap covers them all.
            time.sleep(self.gap)
