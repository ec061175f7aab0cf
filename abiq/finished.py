"""Answers to ``GET`` of finished tasks, kept in memory: they never change.

A task that finished successfully is final: nothing in abiq changes its row
or its jobs again (it cannot be cancelled, retried or updated), until it
expires and is purged. Its representation does not depend on who reads it
either: the links that do (``cancel``, ``retry``, ``edit``) are never shown
on a finished task. So the whole answer (status, body, headers) of one
representation is kept, keyed by task, media type and base URL, and served
again without the database (:class:`abiq.middleware.AnswerCache`).

Two things still apply to every request served from here: the caller must
be allowed to see the task's enterprise (else the database path answers its
404), and the task must not have expired. Deleting a user takes the task's
``user`` link away, so every answer is forgotten when accounts change
(:class:`abiq.signals.AccountEvents`).

For the same reasons a finished task's document, as an item of a page of
tasks, is kept too (:meth:`FinishedTasks.item`): the page's query still
decides which tasks the caller sees and which have expired; only the
rendering of a finished one is not done again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from abiq.caches import BoundedCache
from abiq.db.models import utcnow
from abiq.kept import KeptDocument

if TYPE_CHECKING:
    import falcon

    from abiq.auth import Caller
    from abiq.db.models import Task
    from abiq.signals import AccountEvents

__all__ = ['Answer', 'FinishedTasks', 'kept_answer', 'servable']

# NOTE: what one kept answer holds besides its body, headers and key: the
# Answer, the key tuple and the cache's slot.
_ANSWER_BYTES = 1024
# NOTE: what one kept item document holds besides its links' hrefs: ~20
# fields, its links and its jobs (measured: ~1.5 KiB with two jobs).
_ITEM_BYTES = 1536
# NOTE: what a request asked for, not the representation: a kept answer is
# served to requests that did not ask to wait.
_NOT_KEPT = ('preference-applied',)


@dataclass(frozen=True)
class Answer:
    """The answer to a GET of a finished task, as it was sent."""

    enterprise_id: int
    expires_at: dt.datetime | None
    epoch: int
    status: str
    body: bytes
    headers: dict[str, str]

    #: the task's revision the answer was made from (see abiq.polled)
    revision: int = 0

    @property
    def etag(self) -> str | None:
        """Return the answer's entity tag (quoted), if it has one."""
        return self.headers.get('etag')


def kept_answer(task: Task, resp: falcon.Response, epoch: int) -> tuple[Answer, int]:
    """Return the answer just made for a task as it is kept (without what
    the request asked for), and the bytes it holds (its key left out).

    Args:
        epoch: the accounts' epoch before the task was read.
    """
    headers = resp.headers
    for name in _NOT_KEPT:
        headers.pop(name, None)
    answer = Answer(
        task.enterprise_id,
        task.expires_at,
        epoch,
        resp.status,
        resp.data,
        headers,
        task.revision,
    )
    size = sum(len(name) + len(value) for name, value in headers.items())
    return answer, size + _ANSWER_BYTES + len(answer.body or b'')


def servable(
    answers: BoundedCache[Answer], key: Any, epoch: int, caller: Caller
) -> Answer | None:
    """Return the answer kept for a key if this caller may have it now: it
    was made since accounts last changed, the caller may see the task's
    enterprise, and the task has not expired (an expired one is dropped)."""
    found = answers.get(key)
    if found is None or found.epoch != epoch:
        return None
    if not caller.sees_enterprise(found.enterprise_id):
        return None
    if found.expires_at is not None and found.expires_at <= utcnow():
        answers.pop(key)
        return None
    return found


class FinishedTasks:
    """A bounded memory of answers to GETs of finished tasks.

    Args:
        accounts: the signal that accounts changed (every answer is then
            forgotten; its epoch tells an answer read before from after).
        size: how many answers are kept (the least recently used go first).
        max_bytes: how many bytes of bodies, headers and keys are kept.
    """

    def __init__(
        self,
        accounts: AccountEvents,
        size: int = 2048,
        max_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.accounts = accounts
        self.answers: BoundedCache[Answer] = BoundedCache(size, max_bytes)
        self.items: BoundedCache[tuple[int, dict[str, Any]]] = BoundedCache(
            4 * size, max_bytes
        )
        accounts.subscribe(self.forget)

    def find(self, key: Any, caller: Caller) -> Answer | None:
        """Return the answer kept for a key, if this caller may have it now.

        Args:
            key: what identifies the representation (task id, media type,
                base URL).
        """
        return servable(self.answers, key, self.accounts.epoch, caller)

    def keep(self, key: Any, task: Task, resp: falcon.Response, epoch: int) -> None:
        """Remember the answer just made for a task, if it is finished.

        Args:
            epoch: the accounts' epoch before the task was read.
        """
        if task.status != 'finished':
            return
        answer, size = kept_answer(task, resp, epoch)
        self.answers.put(key, answer, size + len(repr(key)))

    def item(self, key: Any) -> dict[str, Any] | None:
        """Return the document kept for a finished task's item, or None.

        Args:
            key: what identifies the document (task id and revision,
                format, version, base URL). The caller must have read the
                task as visible and unexpired: a page's query did.

        The document is shared: whoever sends it must not change it.
        """
        found = self.items.get(key)
        if found is None or found[0] != self.accounts.epoch:
            return None
        return found[1]

    def keep_item(
        self, key: Any, task: Task, doc: dict[str, Any], epoch: int
    ) -> dict[str, Any]:
        """Remember a task's item document, if the task is finished; return
        the document to send (the kept one, which remembers its XML).

        Args:
            epoch: the accounts' epoch before the task was read.
        """
        if task.status != 'finished':
            return doc
        kept = KeptDocument(doc)
        # NOTE: its XML, once written, about doubles what it holds
        size = _ITEM_BYTES + 2 * sum(len(link['href']) for link in doc['links'])
        self.items.put(key, (epoch, kept), 2 * size + len(repr(key)))
        return kept

    def forget(self) -> None:
        """Forget every answer and item (accounts changed)."""
        self.answers.clear()
        self.items.clear()
