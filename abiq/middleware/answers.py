"""Tasks answered from memory, around the task's responder.

A GET (or HEAD) of a resource that declares ``answer_cache`` (a task) is
answered before the responder when the caller may see the task and either
it finished (:class:`abiq.finished.FinishedTasks`, no database) or its row
still shows the revision the kept answer was made from
(:class:`abiq.polled.PolledTasks`, one read); otherwise the responder reads
the database, names the task it read in ``req.context.task``, and the
answer is kept after it. The conditional answer (304) is made here on both
paths, after the answer is kept: a revalidation that missed still leaves
the whole answer in memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from abiq.longpoll import requested_wait
from abiq.preconditions import matches
from abiq.preconditions import not_modified

if TYPE_CHECKING:
    import falcon

    from abiq.finished import Answer
    from abiq.finished import FinishedTasks
    from abiq.polled import PolledTasks

__all__ = ['AnswerCache']

_READS = frozenset({'GET', 'HEAD'})


class AnswerCache:
    """Falcon middleware: answer GETs of tasks from memory.

    Keyed as the representation is: task id (the route's ``task_id``),
    negotiated media type and base URL (and, for unfinished tasks, who asks).

    Args:
        finished: the answers kept of finished tasks.
        max_wait: the longest ``Prefer: wait`` honoured (seconds).
        polled: the answers kept of tasks that can still change (None:
            those are always rendered again).
    """

    def __init__(
        self,
        finished: FinishedTasks,
        max_wait: int,
        polled: PolledTasks | None = None,
    ) -> None:
        self.finished = finished
        self.max_wait = max_wait
        self.polled = polled

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        """Answer from memory when possible, else note what to keep."""
        if req.method not in _READS or not getattr(resource, 'answer_cache', False):
            return
        context = req.context
        if context.accepted.view:
            # NOTE: a page holds its caller's CSRF token: never shared.
            return
        key = (params['task_id'], context.accepted, context.base)
        # NOTE: the epoch before the task is read: accounts that change
        # while the responder runs leave nothing stale behind.
        epoch = self.finished.accounts.epoch
        # PERF: headers read from the environ: a plain GET, the fastest path
        # abiq has, is spared four calls (get_header, requested_wait,
        # not_modified, matches).
        prefer = req.env.get('HTTP_PREFER')
        wait = requested_wait(prefer, self.max_wait) if prefer else None
        found = self._find(key, context.caller, wait)
        if found is None or (
            wait and matches(req.if_none_match, found.etag, weak=True)
        ):
            # NOTE: not kept, or unchanged while the client waits for a change:
            # the responder reads (and holds the request, abiq.longpoll).
            context.answer_key = (key, epoch)
            return
        # NOTE: written out here, not delegated: one call less each.
        resp.status, resp.data = found.status, found.body
        resp.set_headers(found.headers)
        if wait is not None:
            resp.set_header('Preference-Applied', f'wait={wait}')
        if req.env.get('HTTP_IF_NONE_MATCH'):
            not_modified(req, resp)
        resp.complete = True

    def _find(self, key: tuple, caller: Any, wait: int | None) -> Answer | None:
        found = self.finished.find(key, caller)
        if found is None and self.polled is not None and not wait:
            # NOTE: a client waiting on an unfinished task waits for a change:
            # only the responder can hold it.
            found = self.polled.find(key, caller)
        return found

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Keep the answer the responder made; then answer 304 if it matches."""
        kept = getattr(req.context, 'answer_key', None)
        if kept is None or not req_succeeded:
            return
        key, epoch = kept
        task = req.context.task
        if task.status == 'finished':
            self.finished.keep(key, task, resp, epoch)
        elif self.polled is not None:
            # NOTE: after a long poll the answer may show a later revision
            # than the task first read: kept under the older one, it is
            # only ever found stale, never served for a newer state.
            self.polled.keep(key, req.context.caller, task, resp, epoch)
        if req.env.get('HTTP_IF_NONE_MATCH'):
            not_modified(req, resp)
