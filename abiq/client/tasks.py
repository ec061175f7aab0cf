"""Tasks as the client hands them back: poll one, wait for it to end.

Waiting long-polls: each request asks the server to hold its answer until
the task changes (``Prefer: wait`` with ``If-None-Match``), so a change is
seen at once without a loop of polls; a server that does not wait is asked
again after its ``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from abiq.client.errors import ServiceUnavailable
from abiq.client.errors import TaskCancelled
from abiq.client.errors import TaskFailed
from abiq.client.errors import WaitTimeout
from abiq.client.resources import Link
from abiq.client.resources import Resource

if TYPE_CHECKING:
    from abiq.client.session import Client

__all__ = ['LONGEST_WAIT', 'TERMINAL', 'Task']

#: the statuses after which a task never changes (v1 has no ``cancelled``)
TERMINAL = frozenset({'finished', 'failed', 'cancelled'})
# NOTE: the longest ``Prefer: wait`` one request asks for; the server caps it
# (ABIQ_MAX_WAIT) and says what it applied.
LONGEST_WAIT = 30


class Task(Resource):
    """A task: poll it, wait for it, cancel or retry it."""

    @property
    def state(self) -> str:
        """The status in the version 2 vocabulary (a version 1 cancelled task
        reads ``cancelled``, not ``failed``)."""
        status = self.data['status']
        error = self.data.get('error') or {}
        if status == 'failed' and error.get('code') == 'TASK-CANCELLED':
            return 'cancelled'
        return status

    @property
    def done(self) -> bool:
        """Tell whether the task has ended."""
        return self.state in TERMINAL

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The task's errors (version 1 has at most one, ``error``)."""
        if 'errors' in self.data:
            return self.data['errors']
        error = self.data.get('error')
        return [error] if error else []

    def wait(
        self,
        timeout: float | None = None,
        on_progress: Callable[[Task], None] | None = None,
    ) -> Resource:
        """Wait until the task ends; return its result (the 303's target) or,
        for a task without one, the ended task.

        Each poll asks the server to hold the answer until the task changes
        (``Prefer: wait`` with ``If-None-Match``), so changes are seen at once
        without polling in a loop; a server that does not wait is polled
        after its ``Retry-After``.

        Args:
            timeout: seconds to wait at most (None: as long as it takes).
            on_progress: called with the task each time it changes.

        Raises:
            TaskFailed: it ended ``failed``.
            TaskCancelled: it ended ``cancelled``.
            WaitTimeout: it had not ended after ``timeout``.
        """
        polls = _Polls(self.client, timeout)
        task: Task = self
        if on_progress is not None:
            on_progress(task)
        while not task.done:
            changed = polls.next(task)
            if changed is None:
                continue
            if changed.data != task.data and on_progress is not None:
                on_progress(changed)
            task = changed
        return task._ended()

    def _ended(self) -> Resource:
        state = self.state
        if state == 'failed':
            raise TaskFailed(self)
        if state == 'cancelled':
            raise TaskCancelled(self)
        if self.status == 303:
            return self.client.get(self._result())
        return self

    def _result(self) -> Link:
        """The link to the result: ``result`` (version 2), else the link
        whose href the 303's ``Location`` names (a version 1 ``target``)."""
        location = self.headers.get('Location')
        found = self.link_or_none('result')
        if found is None or (location and found.href != location):
            found = next((x for x in self.links if x.href == location), None)
        return found or Link('result', location or '')


class _Polls:
    """The polls of one wait: how long each may last, and the pauses between."""

    def __init__(self, client: Client, timeout: float | None) -> None:
        self.client = client
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        # NOTE: False right after a 503: the next poll asks without waiting.
        self.long_poll = True

    def next(self, task: Task) -> Task | None:
        """Poll once; return the task as read, None when nothing was read.

        Raises:
            WaitTimeout: the wait's ``timeout`` has passed.
        """
        deadline = self.deadline
        left = LONGEST_WAIT if deadline is None else deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeout(task, self.timeout or 0)
        seconds = max(1, min(LONGEST_WAIT, int(left))) if self.long_poll else 0
        try:
            reply = self.client.poll(task, seconds)
        except ServiceUnavailable as ex:
            # NOTE: every long poll of the server is taken: ask again
            # after its Retry-After, once without waiting.
            self._pause(ex.retry_after)
            self.long_poll = False
            return None
        self.long_poll = True
        if reply.status == 304:
            return None
        changed = Task(self.client, reply)
        if not reply.waited:
            self._pause(reply.retry_after)
        return changed

    def _pause(self, seconds: float | None) -> None:
        # NOTE: a client waiting on a server that asked it to wait; this is
        # what Retry-After is for.
        delay = seconds if seconds is not None else 1.0
        if self.deadline is not None:
            delay = min(delay, max(0.0, self.deadline - time.monotonic()))
        time.sleep(delay)
