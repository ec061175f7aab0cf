"""Task actions: cancel, retry, and the diagnostic SLEEP task."""

from __future__ import annotations

import falcon

from abiq.errors import bad_request
from abiq.resources.base import Body
from abiq.resources.task_answers import TaskAnswers
from abiq.resources.task_answers import TaskResource
from abiq.tasks.diagnostics import sleep_jobs

__all__ = ['Cancel', 'Diagnostics', 'Retry']


class Cancel(TaskResource):
    """The ``cancel`` action of a task."""

    answers = {'POST': 'task'}
    any_name = frozenset({'POST'})
    statuses = {'POST': (200, 202)}
    conditional = frozenset({'POST'})

    def on_post(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Cancel the task."""
        self.cancel(req, resp, task_id)


class Retry(TaskResource):
    """The ``retry`` action of a failed or cancelled task."""

    answers = {'POST': 'task'}
    any_name = frozenset({'POST'})
    statuses = {'POST': (200, 202, 303)}
    request_headers = {'POST': ('Prefer',)}
    conditional = frozenset({'POST'})

    def on_post(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Retry the task."""
        self.retry(req, resp, task_id)


class Diagnostics(TaskAnswers):
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
        self.answer_started(req, resp, task)
