"""Answers to ``GET`` of finished tasks, kept in memory: they never change.

A task that finished successfully is final: nothing in abiq changes its row
or its jobs again (it cannot be cancelled, retried or updated), until it
expires and is purged. Its representation does not depend on who reads it
either: the links that do (``cancel``, ``retry``, ``edit``) are never shown
on a finished task. So the whole answer (status, body, headers) of one
representation is kept, keyed by task, media type and base URL, and served
again without the database.

Two things still apply to every request served from here: the caller must
be allowed to see the task's enterprise (else the database path answers its
404), and the task must not have expired. Deleting a user takes the task's
``user`` link away, so every entry is dropped when accounts change (the
authenticator's epoch).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import falcon

from abiq.caches import BoundedCache
from abiq.db.models import utcnow

if TYPE_CHECKING:
    from abiq.auth import Authenticator
    from abiq.auth import Caller
    from abiq.db.models import Task

__all__ = ['FinishedTasks']

# NOTE: what one kept answer holds besides its body, headers and key: the
# _Answer, the key tuple and the cache's slot.
_ANSWER_BYTES = 1024


@dataclass(frozen=True)
class _Answer:
    enterprise_id: int
    expires_at: dt.datetime | None
    revision: int
    epoch: int
    status: str
    body: bytes
    headers: dict[str, str]


class FinishedTasks:
    """A bounded memory of answers to GETs of finished tasks.

    Args:
        authenticator: whose epoch tells when accounts changed.
        size: how many answers are kept (the least recently used go first).
        max_bytes: how many bytes of bodies, headers and keys are kept.
    """

    def __init__(
        self,
        authenticator: Authenticator,
        size: int = 2048,
        max_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.authenticator = authenticator
        self.answers: BoundedCache[_Answer] = BoundedCache(size, max_bytes)

    def answer(self, key: Any, caller: Caller, resp: falcon.Response) -> int | None:
        """Answer from memory when possible; return the task's revision then.

        Args:
            key: what identifies the representation (task id, media type,
                base URL).
        """
        found = self.answers.get(key)
        if found is None or found.epoch != self.authenticator.epoch:
            return None
        if not caller.sees_enterprise(found.enterprise_id):
            return None
        if found.expires_at is not None and found.expires_at <= utcnow():
            self.answers.pop(key)
            return None
        resp.status = found.status
        resp.data = found.body
        resp.set_headers(found.headers)
        return found.revision

    def keep(self, key: Any, task: Task, resp: falcon.Response, epoch: int) -> None:
        """Remember the answer just made for a finished task.

        Args:
            epoch: the authenticator's epoch before the task was read.
        """
        if task.status != 'finished':
            return
        answer = _Answer(
            task.enterprise_id,
            task.expires_at,
            task.revision,
            epoch,
            resp.status,
            resp.data,
            resp.headers,
        )
        headers = sum(len(name) + len(value) for name, value in answer.headers.items())
        size = _ANSWER_BYTES + len(answer.body or b'') + headers + len(repr(key))
        self.answers.put(key, answer, size)
