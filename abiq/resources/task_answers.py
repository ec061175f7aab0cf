"""How a task is answered: headers by state, 303 to results, 202 for new work,
and long polling with ``Prefer: wait``."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import falcon

from abiq import idempotency
from abiq import preconditions
from abiq.db.models import Task
from abiq.html.facts import page_facts
from abiq.longpoll import requested_wait
from abiq.representations.tasks import render_task
from abiq.representations.tasks import result_href
from abiq.resources.base import Resource
from abiq.statuses import ACTIVE
from abiq.statuses import TERMINAL
from abiq.tasks import records
from abiq.timestamps import http_date

if TYPE_CHECKING:
    from abiq.auth import Caller

__all__ = ['ActionResource', 'TaskAnswers', 'TaskResource']

# NOTE: a suggested poll delay; clients that can should use Prefer: wait.
RETRY_AFTER_SECONDS = 1


class TaskAnswers(Resource):
    """A resource that answers with tasks (API.md §8 Polling)."""

    def send_task(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        task: Task,
        status: int = 200,
        jobs: Any = None,
    ) -> None:
        """Send a task with the headers its state calls for.

        Args:
            jobs: the task's jobs when already read (else they are read here).
        """
        if jobs is None:
            jobs = records.jobs_of([task])[task.id]
        accepted = self.accepted(req).as_name('task')
        urls = self.urls(req)
        doc = render_task(task, jobs, urls, self.caller(req), accepted.version)
        facts = page_facts(req, self, status) if accepted.view else None
        self.codec.send(resp, doc, accepted, urls, facts)
        resp.status = status
        resp.set_header('Last-Modified', http_date(task.updated_at))
        if task.status == 'finished':
            # NOTE: final (abiq.finished): a private cache may keep it until it
            # expires. Every other state can change (a failed task is retried).
            resp.cache_control = ('private',)
        preconditions.without_validators(req, resp)
        if task.status in ACTIVE:
            resp.retry_after = RETRY_AFTER_SECONDS
        else:
            # NOTE: a long poll renders the task again once it changed; an
            # ended task asks nobody to poll again.
            resp.delete_header('Retry-After')
        if task.status in TERMINAL and task.expires_at:
            resp.set_header('Expires', http_date(task.expires_at))

    def answer_task(
        self, req: falcon.Request, resp: falcon.Response, task: Task, jobs: Any = None
    ) -> None:
        """Answer as a GET of the task does: 303 to the result once finished."""
        self.send_task(req, resp, task, jobs=jobs)
        result = result_href(task, self.urls(req))
        if result:
            resp.status = falcon.HTTP_303
            resp.location = result
            resp.content_location = self.urls(req).of('task', task.id)

    def wait_seconds(self, req: falcon.Request, resp: falcon.Response) -> int | None:
        """Return the wait a ``Prefer`` header asks for (capped) and say so."""
        wait = requested_wait(req.get_header('Prefer'), self.config.max_wait)
        if wait is not None:
            resp.set_header('Preference-Applied', f'wait={wait}')
        return wait

    def answer_started(
        self, req: falcon.Request, resp: falcon.Response, task: Task
    ) -> None:
        """Answer a request that started work: 202, or as the task ended when
        it ended within the ``Prefer: wait`` the client asked for."""
        wait = self.wait_seconds(req, resp)
        href = self.urls(req).of('task', task.id)
        # NOTE: the 202 shows the task and its jobs as they were accepted
        # (API.md: "body = the task (pending)"), not jobs a worker has
        # started since.
        jobs = task.accepted_jobs
        if wait:
            # NOTE: a keyed request keeps its key claimed for as long as it waits
            idempotency.hold(req, wait)
            self.services.waiter.wait(wait, lambda: _status(task.id) in TERMINAL)
            task, jobs = records.get_visible_with_jobs(self.caller(req), task.id)
            if task.status in TERMINAL:
                self.answer_task(req, resp, task, jobs)
                resp.content_location = href
                return
        self.send_task(req, resp, task, status=202, jobs=jobs)
        resp.location = href
        resp.content_location = href

    def answer_deleted(
        self, req: falcon.Request, resp: falcon.Response, task: Task | None
    ) -> None:
        """Answer a DELETE: 204 when it was done at once, else as the task
        it started (:meth:`answer_started`)."""
        if task is None:
            self.no_content(resp)
            return
        self.answer_started(req, resp, task)


class TaskResource(TaskAnswers):
    """A task or one of its actions: preconditions are checked against the
    task as a GET answers it now."""

    def current(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:  # type: ignore[override]
        """Answer the task as a GET would now, without waiting."""
        self.send_task(req, resp, records.get_visible(self.caller(req), task_id))

    def cancel(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Cancel: 200 when done at once, 202 when it stops at a job boundary."""
        caller = self.require_writer(req)
        task = records.get_visible(caller, task_id)
        self.check(req, task_id=task_id)
        engine = self.services.engine
        done = engine.cancel(task)
        # NOTE: the task as the cancel left it, read through the engine's store
        # as the engine itself reads it (one compiled query, no model).
        cancelled = engine.store.task(task.id)
        self.send_task(req, resp, cancelled, status=200 if done else 202)

    def retry(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Retry a failed or cancelled task from its first unfinished job: 202."""
        caller = self.require_writer(req)
        task = records.get_visible(caller, task_id)
        self.check(req, task_id=task_id)
        self.answer_started(req, resp, self.services.engine.retry(task))


def _status(task_id: str) -> str | None:
    return Task.select(Task.status).where(Task.id == task_id).scalar()


class ActionResource(TaskAnswers):
    """An action link's target: POST starts the action and answers its task.

    Subclasses say the kind of the entity (found by its id; 404 across
    tenants comes before the 403 of a role that may not write), which
    resource reads it (its preconditions are checked against that
    resource's GET) and how to start the action on it.

    Args:
        services: the shared services.
        rel: the action's link relation.
    """

    answers = {'POST': 'task'}
    any_name = frozenset({'POST'})
    statuses = {'POST': (200, 202, 303)}
    request_headers = {'POST': ('Prefer',)}
    conditional = frozenset({'POST'})
    kind: str
    item: type[Resource]

    def __init__(self, services, rel: str) -> None:
        super().__init__(services)
        self.rel = rel

    def entity(self, req: falcon.Request, **ids: int) -> Any:
        """Return the entity the action is on (raising 404 when not visible)."""
        (entity_id,) = ids.values()
        return self.lookup(req, self.kind, entity_id)

    def start(self, caller: Caller, entity: Any) -> Task:
        """Start the action; return its task."""
        raise NotImplementedError

    def current(self, req: falcon.Request, resp: falcon.Response, **ids: int) -> None:
        """Answer what a GET of the entity answers now."""
        self.item(self.services).current(req, resp, **ids)

    def on_post(self, req: falcon.Request, resp: falcon.Response, **ids: int) -> None:
        """Start the action: 202 and its task."""
        entity = self.entity(req, **ids)
        caller = self.require_writer(req)
        self.check(req, **ids)
        self.answer_started(req, resp, self.start(caller, entity))
