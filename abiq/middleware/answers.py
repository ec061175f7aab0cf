"""Finished tasks answered from memory, around the task's responder.

A GET (or HEAD) of a resource that declares ``answer_cache`` (a task) is
answered from :class:`abiq.finished.FinishedTasks` before the responder
when the task finished and the caller may see it; otherwise the responder
reads the database, names the task it read in ``req.context.task``, and the
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

    from abiq.finished import FinishedTasks

__all__ = ['AnswerCache']

_READS = frozenset({'GET', 'HEAD'})


class AnswerCache:
    """Falcon middleware: answer GETs of finished tasks from memory.

    Keyed as the representation is: task id (the route's ``task_id``),
    negotiated media type and base URL.

    Args:
        finished: the answers kept.
        max_wait: the longest ``Prefer: wait`` honoured (seconds).
    """

    def __init__(self, finished: FinishedTasks, max_wait: int) -> None:
        self.finished = finished
        self.max_wait = max_wait

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
        found = self.finished.find(key, context.caller)
        if found is None:
            context.answer_key = (key, epoch)
            return
        # PERF: headers read from the environ: a plain GET, the fastest path
        # abiq has, is spared four calls (get_header, requested_wait,
        # not_modified, matches).
        prefer = req.env.get('HTTP_PREFER')
        wait = requested_wait(prefer, self.max_wait) if prefer else None
        if wait and matches(req.if_none_match, found.etag, weak=True):
            # NOTE: unchanged, and the client waits for a change: the
            # responder holds the request (abiq.longpoll).
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
        self.finished.keep(key, req.context.task, resp, epoch)
        if req.env.get('HTTP_IF_NONE_MATCH'):
            not_modified(req, resp)
