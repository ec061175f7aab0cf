"""Task actions: cancel, retry, and the diagnostic SLEEP task."""

from __future__ import annotations

import falcon

from abiq.db.models import Task
from abiq.errors import bad_request
from abiq.resources.base import Body
from abiq.resources.base import Resource
from abiq.resources.task_answers import answer_started
from abiq.resources.task_answers import current_task
from abiq.resources.task_answers import send_task
from abiq.tasks import records
from abiq.tasks.diagnostics import sleep_jobs

__all__ = ['Cancel', 'Diagnostics', 'Retry', 'cancel_task', 'retry_task']


def cancel_task(resource: Resource, req, resp, task_id: str) -> None:
    """Cancel: 200 when done at once, 202 when it stops at a job boundary."""
    caller = resource.require_writer(req)
    task = records.get_visible(caller, task_id)
    resource.check(req, task_id=task_id)
    done = resource.services.engine.cancel(task)
    send_task(resource, req, resp, Task.get_by_id(task.id), status=200 if done else 202)


def retry_task(resource: Resource, req, resp, task_id: str) -> None:
    """Retry a failed or cancelled task from its first unfinished job: 202."""
    caller = resource.require_writer(req)
    task = records.get_visible(caller, task_id)
    resource.check(req, task_id=task_id)
    answer_started(resource, req, resp, resource.services.engine.retry(task))


class Cancel(Resource):
    """The ``cancel`` action of a task."""

    answers = {'POST': 'task'}
    any_name = frozenset({'POST'})
    statuses = {'POST': (200, 202)}
    conditional = frozenset({'POST'})
    current = current_task

    def on_post(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Cancel the task."""
        cancel_task(self, req, resp, task_id)


class Retry(Resource):
    """The ``retry`` action of a failed or cancelled task."""

    answers = {'POST': 'task'}
    any_name = frozenset({'POST'})
    statuses = {'POST': (200, 202, 303)}
    request_headers = {'POST': ('Prefer',)}
    conditional = frozenset({'POST'})
    current = current_task

    def on_post(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Retry the task."""
        retry_task(self, req, resp, task_id)


class Diagnostics(Resource):
    """``diagnostics``: administrators start SLEEP tasks to test the engine."""

    answers = {'POST': 'task'}
    any_name = frozenset({'POST'})
    reads = {'POST': Body('sleep', ('jobs',))}
    # NOTE: a SLEEP task has no result, so it never answers 303.
    statuses = {'POST': (200, 202)}
    request_headers = {'POST': ('Prefer',)}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Start a SLEEP task from a ``sleep`` document: 202."""
        caller = self.require_admin(req)
        doc = self.read(req)
        if doc.get('failJob', 0) > doc['jobs']:
            raise bad_request('400-BAD-REQUEST', '/failJob: must not exceed jobs')
        doc.pop('links', None)
        task = self.services.engine.submit(
            'SLEEP',
            enterprise_id=caller.enterprise_id,
            user_id=caller.user.id,
            jobs=sleep_jobs(doc),
            description=f'Diagnostic: {doc["jobs"]} jobs of {doc.get("seconds", 0)} s',
            params=doc,
        )
        answer_started(self, req, resp, task)
