"""Log filters for messages that would otherwise come once per request.

waitress warns "Task queue depth is N" each time a request waits for a
thread. Under a steady load of more connections than threads (16 clients
of 8 threads, say) that is every request: a log line written and flushed
on the request's path (4% of a busy server's time in profiles), and a log
an operator cannot read. The warning stays useful, so it is kept at most
once per interval, with how many were left out.
"""

from __future__ import annotations

import logging
import threading
import time

__all__ = ['AtMostEvery', 'quiet_queue_warnings']

QUEUE_LOGGER = 'waitress.queue'


class AtMostEvery(logging.Filter):
    """Let one record through per ``seconds``; count the rest.

    Args:
        seconds: the shortest time between two records let through.
        clock: returns the time in seconds (a test's own clock).
    """

    def __init__(self, seconds: float, clock=time.monotonic) -> None:  # noqa: ANN001
        super().__init__()
        self.seconds = seconds
        self.clock = clock
        self._next = float('-inf')
        self._dropped = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """Tell whether the record is logged; a kept one says how many were
        left out since the one before."""
        now = self.clock()
        with self._lock:
            if now < self._next:
                self._dropped += 1
                return False
            self._next = now + self.seconds
            dropped, self._dropped = self._dropped, 0
        if dropped:
            record.msg = f'{record.msg} (and {dropped} more like it since the last)'
        return True


def quiet_queue_warnings(seconds: float = 10.0) -> None:
    """Keep waitress's queue-depth warning to one per ``seconds``."""
    logger = logging.getLogger(QUEUE_LOGGER)
    if not any(isinstance(f, AtMostEvery) for f in logger.filters):
        logger.addFilter(AtMostEvery(seconds))
