"""Tasks: the collection (with filtered views), a task, and its cancel action."""

from __future__ import annotations

from typing import Any

import falcon

from abiq.db.models import Task
from abiq.db.models import utcnow
from abiq.entities import KINDS
from abiq.entities import one_href
from abiq.entities import resolve
from abiq.errors import bad_request
from abiq.errors import quoted
from abiq.paging import CollectionSpec
from abiq.preconditions import matches
from abiq.representations.tasks import FILTER_RELS
from abiq.representations.tasks import render_task
from abiq.resources.base import Body
from abiq.resources.task_answers import TaskAnswers
from abiq.resources.task_answers import TaskResource
from abiq.statuses import ACTIVE
from abiq.statuses import STATUSES
from abiq.tasks import records
from abiq.tasks import rules
from abiq.tasks.counting import count_tasks

__all__ = ['TASKS', 'Collection', 'EntityTasks', 'Item']

# NOTE: the wire names a client sorts and searches tasks by.
TASKS = CollectionSpec(
    sort_fields={
        'createdAt': Task.created_at,
        'updatedAt': Task.updated_at,
        'status': Task.status,
        'type': Task.type,
        'id': Task.id,
    },
    default_sort='createdAt',
    text_fields=(Task.type, Task.description),
    tie_breaker=Task.id,
)


class _TaskList(TaskAnswers):
    """Shared GET of a tasks collection (all tasks, or one entity's)."""

    answers = {'GET': 'tasks'}
    paging = TASKS
    # NOTE: a status may also be an alias (docs/tasks.rst); the canonical
    # names are what a client is shown.
    filters = {
        'status': {
            'type': 'array',
            'items': {'type': 'string', 'enum': list(STATUSES)},
        },
        'type': {'type': 'string'},
    }

    def list_tasks(self, req, resp, href_for, extra: list[dict], target=None) -> None:
        """Answer a page of the tasks the caller sees, filtered by ``status``
        and ``type`` (and ``target``: ``(kind, id)`` of the entity they
        targeted)."""
        caller, now = self.caller(req), utcnow()
        statuses = records.status_filter(req.get_param_as_list('status') or [])
        task_type = req.get_param('type') or None
        enterprise_id = None if caller.is_admin else caller.enterprise_id
        listing = records.task_listing(enterprise_id, statuses, task_type, target, now)
        count = None
        if target is None and task_type is None:
            # NOTE: every visible task (of some statuses): the tallies know
            # the total without counting the rows.
            def count() -> int:
                return count_tasks(enterprise_id, statuses, now)

        page = self.page(req, listing, count)
        urls = self.urls(req)
        items = self._items(req, page.items, urls, caller)
        views = [
            urls.link(rel, href_for([('status', rel)]), 'tasks') for rel in FILTER_RELS
        ]
        self.send(req, resp, self.collection(req, page, items, href_for, views + extra))

    def _items(self, req, tasks: list[Any], urls, caller) -> list[dict[str, Any]]:
        """Return the documents of a page's tasks (rows of their id, revision
        and status); a finished one's is rendered once
        (:meth:`abiq.finished.FinishedTasks.item`), the others from their
        rows, read by id."""
        accepted = self.accepted(req)
        finished = self.services.finished
        epoch = finished.accounts.epoch  # before the documents are made

        def key(task: Any) -> tuple:
            return (
                task.id,
                task.revision,
                accepted.format,
                accepted.version,
                urls.base,
            )

        docs = {}
        for task in tasks:
            if task.status == 'finished':
                doc = finished.item(key(task))
                if doc is not None:
                    docs[task.id] = doc
        rows = records.tasks_by_id([task.id for task in tasks if task.id not in docs])
        missing = list(rows.values())
        jobs = records.jobs_of(missing) if missing else {}
        for task in missing:
            doc = render_task(task, jobs[task.id], urls, caller, accepted.version)
            docs[task.id] = finished.keep_item(key(task), task, doc, epoch)
        # NOTE: a task purged between the page's query and its rows' is left out
        return [docs[task.id] for task in tasks if task.id in docs]


class Collection(_TaskList):
    """Every task the caller may see; POST creates an external task."""

    answers = {'GET': 'tasks', 'POST': 'task'}
    reads = {'POST': Body('task', ('type',))}
    statuses = {'POST': (201,)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List tasks, paged, filtered by ``status`` and ``type``."""
        urls, caller = self.urls(req), self.caller(req)
        extra = []
        if caller.can_write:
            extra.append(urls.link('create', urls.of('task'), 'task'))

        def href_for(query: list[tuple[str, Any]]) -> str:
            return urls.of('task', query=query)

        self.list_tasks(req, resp, href_for, extra)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an external task (VirtShell model): 201 and its location."""
        caller = self.require_writer(req)
        doc = self.read(req)
        enterprise_id, target = caller.enterprise_id, None
        href = one_href(doc, 'target')
        if href is not None:
            kind, row = resolve(self.urls(req), href, 'target')
            owner = kind.enterprise_of(row)
            if owner is not None and not caller.sees_enterprise(owner):
                raise bad_request(
                    '400-BAD-REQUEST',
                    f'The target link {quoted(href)!r} does not point '
                    'at an entity of this API',
                )
            enterprise_id = owner if owner is not None else caller.enterprise_id
            target = (kind.kind, str(row.id))
        task = records.create_external(
            caller, doc, enterprise_id, target, self.config.task_retention
        )
        self.services.engine.announce()
        location = self.urls(req).of('task', task.id)
        self.send_task(req, resp, task, status=201, jobs=task.accepted_jobs)
        resp.location = location
        resp.content_location = location


class EntityTasks(_TaskList):
    """The tasks that targeted one entity (an enterprise, appliance or machine).

    Args:
        services: the shared services.
        kind: the entity kind (a key of :data:`abiq.entities.KINDS`).
    """

    def __init__(self, services, kind: str) -> None:
        super().__init__(services)
        self.kind = KINDS[kind]

    def on_get(self, req: falcon.Request, resp: falcon.Response, **params: int):
        """List the entity's tasks (the route's one field is the entity's id)."""
        (entity_id,) = params.values()
        caller, kind = self.caller(req), self.kind
        kind.get_visible(caller, entity_id)
        urls = self.urls(req)

        def href_for(query: list[tuple[str, Any]]) -> str:
            return urls.of(kind.kind, entity_id, 'tasks', query=query)

        parent = urls.link('parent', urls.of(kind.kind, entity_id), kind.kind)
        self.list_tasks(req, resp, href_for, [parent], (kind.kind, str(entity_id)))


class Item(TaskResource):
    """One task: read it, update it (external tasks), cancel it with DELETE."""

    answers = {'GET': 'task', 'PUT': 'task', 'DELETE': 'task', 'PATCH': 'task'}
    any_name = frozenset({'PUT', 'DELETE', 'PATCH'})
    reads = {'PUT': Body('task')}
    statuses = {'GET': (200, 303, 304), 'DELETE': (200, 202), 'PATCH': (200, 202, 303)}
    request_headers = {'GET': ('Prefer', 'If-None-Match'), 'PATCH': ('Prefer',)}
    # NOTE: a finished task's GET is answered from memory, and its 304 made,
    # by abiq.middleware.AnswerCache, which keeps what this responder answers.
    answer_cache = True

    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Answer the task: 200, or 303 to its result once finished.

        With ``Prefer: wait=N`` an active task (or one matching
        ``If-None-Match``) is answered when it changes, or after N seconds.
        """
        caller = self.caller(req)
        task, jobs = records.get_visible_with_jobs(caller, task_id)
        self.answer_task(req, resp, task, jobs)
        # NOTE: the task as first read is what the answer is kept as: one
        # finished then is answered the same after any wait (or is gone, 404).
        req.context.task = task
        unchanged = self._not_modified(req, resp)
        wait = self.wait_seconds(req, resp)
        if wait and (unchanged or (task.status in ACTIVE and not req.if_none_match)):
            revision, store = task.revision, self.services.engine.store
            self.services.waiter.wait(wait, lambda: store.revision(task_id) != revision)
            self.answer_task(req, resp, *records.get_visible_with_jobs(caller, task_id))

    @staticmethod
    def _not_modified(req: falcon.Request, resp: falcon.Response) -> bool:
        return matches(req.if_none_match, resp.etag, weak=True)

    def on_put(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        """Update an external task's status, progress, log, description, jobs."""
        caller = self.require_writer(req)
        task = records.get_visible(caller, task_id)
        rules.check_owner(task, caller)
        self.check(req, task_id=task_id)
        doc = self.read(req)
        task = records.update_external(task, doc, self.config.task_retention)
        self.services.engine.announce()
        self.send_task(req, resp, task)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, task_id: str):
        """Cancel the task (same as its ``cancel`` link)."""
        self.cancel(req, resp, task_id)

    def on_patch(self, req: falcon.Request, resp: falcon.Response, task_id: str):
        """Retry the task (same as its ``retry`` link); the body must be empty."""
        if req.content_length or req.bounded_stream.read(1):
            raise bad_request(
                '400-BAD-REQUEST',
                'PATCH on a task retries it; send it with an empty body',
            )
        self.retry(req, resp, task_id)
