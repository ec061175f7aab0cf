"""Answers to ``GET`` of tasks that can still change, kept while they hold.

A client polling a running task reads the same answer again and again: a
task changes at its job boundaries, far more seldom than it is polled. So
the last answer of each representation is kept with the task's *revision*
it was made from, and served again for as long as the task's row in the
database still shows that revision. Every change of a task or of its jobs
(a claim, progress, a job starting or ending, a log line, a cancel, an
update of an external task, a retry) counts one revision up in the same
transaction (abiq.db.taskstatements, abiq.tasks.records), which is what
long polls already wake on. A poll answered from here still reads the
database (one primary-key read of one column), so it sees what other
processes and hosts changed; only the rendering is not done again.

Unlike a finished task's, this answer depends on who reads it: the
``cancel``, ``retry`` and ``edit`` links follow the caller's role and
whether the caller created the task (abiq.representations.tasks). So the
key holds the caller's user id and role beside the task, media type and
base URL, and the rest is as for finished tasks (:func:`abiq.finished.servable`):
the caller must see the task's enterprise, the task must not have expired,
and accounts changing forgets everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from abiq.caches import BoundedCache
from abiq.finished import Answer
from abiq.finished import kept_answer
from abiq.finished import servable

if TYPE_CHECKING:
    import falcon

    from abiq.auth import Caller
    from abiq.db.models import Task
    from abiq.signals import AccountEvents

__all__ = ['PolledTasks']


class PolledTasks:
    """A bounded memory of the last answers to GETs of unfinished tasks.

    Args:
        accounts: the signal that accounts changed (every answer is then
            forgotten; its epoch tells an answer read before from after).
        revision_of: returns a task's revision in the database now (None:
            the task is gone), as :meth:`abiq.tasks.store.TaskStore.revision`.
        size: how many answers are kept (the least recently used go first).
        max_bytes: how many bytes of bodies, headers and keys are kept.
    """

    def __init__(
        self,
        accounts: AccountEvents,
        revision_of: Callable[[str], int | None],
        size: int = 1024,
        max_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.accounts = accounts
        self.revision_of = revision_of
        self.answers: BoundedCache[Answer] = BoundedCache(size, max_bytes)
        accounts.subscribe(self.answers.clear)

    @staticmethod
    def _key(key: tuple, caller: Caller) -> tuple:
        # NOTE: what of the caller a task's links depend on (its role, and
        # whether it created the task); the enterprise is checked on reading.
        return (key, caller.user.role, caller.user.id)

    def find(self, key: tuple, caller: Caller) -> Answer | None:
        """Return the answer kept for this caller, if the task is still at
        the revision it was made from (one read of the database).

        Args:
            key: what identifies the representation: task id first, then
                media type and base URL.
        """
        mine = self._key(key, caller)
        found = servable(self.answers, mine, self.accounts.epoch, caller)
        if found is None:
            return None
        if self.revision_of(key[0]) != found.revision:
            self.answers.pop(mine)
            return None
        return found

    def keep(
        self,
        key: tuple,
        caller: Caller,
        task: Task,
        resp: falcon.Response,
        epoch: int,
    ) -> None:
        """Remember the answer just made for a task that is not finished
        (:class:`abiq.finished.FinishedTasks` keeps those).

        Args:
            task: the task as read for the answer; its revision is what the
                answer is valid for.
            epoch: the accounts' epoch before the task was read.
        """
        if task.status == 'finished':
            return
        mine = self._key(key, caller)
        answer, size = kept_answer(task, resp, epoch)
        self.answers.put(mine, answer, size + len(repr(mine)))
