"""Tasks: the collection (with filtered views), a task, and its cancel action."""

from __future__ import annotations

import hashlib
from typing import Any

import falcon

from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.errors import bad_request
from abiq.errors import forbidden
from abiq.errors import not_found
from abiq.representations.tasks import FILTER_RELS
from abiq.representations.tasks import render_task
from abiq.representations.tasks import result_href
from abiq.resources.base import Resource
from abiq.statuses import ACTIVE
from abiq.statuses import TERMINAL
from abiq.targets import resolve
from abiq.tasks import records
from abiq.timestamps import http_date

__all__ = ['Cancel', 'Collection', 'EnterpriseTasks', 'Item', 'send_task']

# NOTE: a suggested poll delay; the engine's long polling makes it matter less.
RETRY_AFTER_SECONDS = 1


def send_task(resource: Resource, req, resp, task: Task, status: int = 200) -> None:
    """Send a task with the headers its state calls for (API.md §8 Polling)."""
    jobs = records.jobs_of([task])[task.id]
    accepted = resource.accepted(req).as_name('task')
    doc = render_task(task, jobs, resource.urls(req), resource.caller(req),
                      accepted.version)
    resource.codec.send(resp, doc, accepted, resource.urls(req))
    resp.status = status
    resp.etag = hashlib.blake2b(resp.data, digest_size=12).hexdigest()
    if task.status in ACTIVE:
        resp.retry_after = RETRY_AFTER_SECONDS
    if task.status in TERMINAL and task.expires_at:
        resp.expires = task.expires_at
        resp.set_header('Expires', http_date(task.expires_at))


class _TaskList(Resource):
    """Shared GET of a tasks collection (all tasks, or one entity's)."""

    answers = {'GET': 'tasks'}

    def list_tasks(self, req, resp, select, href_for, extra: list[dict]) -> None:
        statuses = records.status_filter(req.get_param_as_list('status') or [])
        if statuses:
            select = select.where(Task.status.in_(statuses))
        task_type = req.get_param('type')
        if task_type:
            select = select.where(Task.type == task_type)
        page = self.page(req, select, records.TASKS)
        jobs = records.jobs_of(list(page.items))
        urls, caller = self.urls(req), self.caller(req)
        version = self.accepted(req).version
        items = [render_task(task, jobs[task.id], urls, caller, version)
                 for task in page.items]
        views = [urls.link(rel, href_for([('status', rel)]), 'tasks')
                 for rel in FILTER_RELS]
        self.send(req, resp, self.collection(req, page, items, href_for, views + extra))


class Collection(_TaskList):
    """Every task the caller may see; POST creates an external task."""

    answers = {'GET': 'tasks', 'POST': 'task'}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List tasks, paged, filtered by ``status`` and ``type``."""
        urls = self.urls(req)
        extra = []
        if self.caller(req).can_write:
            extra.append(urls.link('create', urls.tasks(), 'task'))
        self.list_tasks(req, resp, records.visible_tasks(self.caller(req)),
                        urls.tasks, extra)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an external task (VirtShell model): 201 and its location."""
        caller = self.require_writer(req)
        _, doc = self.codec.read(req, ('task',), required=('type',))
        enterprise_id, target = caller.enterprise_id, None
        for link in doc.get('links', []):
            if link['rel'] == 'target':
                kind, row = resolve(self.urls(req), link['href'], 'target')
                owner = kind.enterprise_of(row)
                if not caller.sees_enterprise(owner):
                    raise bad_request(
                        '400-BAD-REQUEST',
                        f'The target link {link["href"]!r} does not point at an '
                        'entity of this API',
                    )
                enterprise_id, target = owner, (kind.kind, str(row.id))
        task = records.create_external(
            caller, doc, enterprise_id, target, self.config.task_retention
        )
        location = self.urls(req).task(task.id)
        send_task(self, req, resp, task, status=201)
        resp.location = location
        resp.content_location = location


class EnterpriseTasks(_TaskList):
    """The tasks that targeted one enterprise."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """List the enterprise's tasks."""
        caller = self.caller(req)
        if not caller.sees_enterprise(enterprise_id) or not Enterprise.get_or_none(
            Enterprise.id == enterprise_id
        ):
            raise not_found()
        select = records.visible_tasks(caller).where(
            (Task.target_kind == 'enterprise') & (Task.target_id == str(enterprise_id))
        )
        urls = self.urls(req)

        def href_for(query: list[tuple[str, Any]]) -> str:
            return urls.url('enterprises', enterprise_id, 'tasks', query=query)

        parent = urls.link('parent', urls.enterprise(enterprise_id), 'enterprise')
        self.list_tasks(req, resp, select, href_for, [parent])


class Item(Resource):
    """One task: read it, update it (external tasks), cancel it with DELETE."""

    answers = {'GET': 'task', 'PUT': 'task', 'DELETE': 'task'}
    any_name = frozenset({'PUT', 'DELETE'})

    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Answer the task: 200, or 303 to its result once finished."""
        task = records.get_visible(self.caller(req), task_id)
        send_task(self, req, resp, task)
        if req.if_none_match and any(
            tag == '*' or tag == resp.etag.strip('"') for tag in req.if_none_match
        ):
            resp.status = falcon.HTTP_304
            resp.data = None
            resp.delete_header('Content-Type')
            return
        result = result_href(task, self.urls(req))
        if result:
            resp.status = falcon.HTTP_303
            resp.location = result
            resp.content_location = self.urls(req).task(task.id)

    def on_put(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Update an external task's status, progress, log, description, jobs."""
        caller = self.require_writer(req)
        task = records.get_visible(caller, task_id)
        if task.external and not (caller.is_admin or task.user_id == caller.user.id):
            raise forbidden('Only the creator of an external task or an admin may update it')
        _, doc = self.codec.read(req, ('task',))
        task = records.update_external(task, doc, self.config.task_retention)
        send_task(self, req, resp, task)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, task_id: str):
        """Cancel the task (same as its ``cancel`` link)."""
        _cancel(self, req, resp, task_id)


class Cancel(Resource):
    """The ``cancel`` action of a task."""

    answers = {'POST': 'task'}
    any_name = frozenset({'POST'})

    def on_post(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Cancel: 200 when done at once, 202 when it stops at a job boundary."""
        _cancel(self, req, resp, task_id)


def _cancel(resource: Resource, req, resp, task_id: str) -> None:
    caller = resource.require_writer(req)
    task = records.get_visible(caller, task_id)
    done = records.cancel(task, resource.config.task_retention)
    task = Task.get_by_id(task.id)
    send_task(resource, req, resp, task, status=200 if done else 202)

