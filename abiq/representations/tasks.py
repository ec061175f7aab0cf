"""Task documents in version 1 (Abiquo 1.x) and version 2."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import orjson

from abiq.statuses import v1_status
from abiq.tasks.rules import can_cancel as is_cancellable
from abiq.tasks.rules import can_edit
from abiq.tasks.rules import can_retry as is_retryable
from abiq.timestamps import rfc3339

if TYPE_CHECKING:
    from abiq.auth import Caller
    from abiq.db.models import Task
    from abiq.db.models import TaskJob
    from abiq.links import Urls

__all__ = ['can_edit', 'is_cancellable', 'is_retryable', 'render_task', 'result_href']

FILTER_RELS = ('pending', 'running', 'finished', 'failed', 'cancelled')


def task_errors(task: Task) -> list[dict[str, Any]]:
    """Return the stored errors of a task."""
    return orjson.loads(task.errors or '[]')


def _links(task: Task, urls: Urls, caller: Caller, version: int) -> list[dict]:
    href = urls.of('task', task.id)
    links = [
        urls.link('self', href, 'task'),
        urls.link('parent', urls.of('task'), 'tasks'),
    ]
    target = urls.target(task.target_kind, task.target_id)
    if target is not None:
        links.append(urls.link('target', target, task.target_kind))
    if version >= 2 and task.user_id is not None:
        links.append(urls.link('user', urls.of('user', task.user_id), 'user'))
    if caller.can_write and is_cancellable(task):
        links.append(urls.link('cancel', f'{href}/cancel', 'task'))
    if version >= 2 and caller.can_write and is_retryable(task):
        links.append(urls.link('retry', f'{href}/retry', 'task'))
    if version >= 2 and can_edit(task, caller):
        links.append(urls.link('edit', href, 'task'))
    result = result_href(task, urls)
    if version >= 2 and result:
        links.append(urls.link('result', result, task.result_kind))
    return links


def result_href(task: Task, urls: Urls) -> str | None:
    """Return the URL of a finished task's result, if it has one."""
    if task.status == 'finished':
        return urls.target(task.result_kind, task.result_id)
    return None


def render_task(
    task: Task, jobs: list[TaskJob], urls: Urls, caller: Caller, version: int
) -> dict[str, Any]:
    """Return the task document of an API version."""
    links = _links(task, urls, caller, version)
    if version == 1:
        return _v1(task, links)
    return {
        'links': links,
        'id': task.id,
        'type': task.type,
        'description': task.description,
        'status': task.status,
        'progress': task.progress,
        'attempt': task.attempt,
        'createdAt': rfc3339(task.created_at),
        'startedAt': rfc3339(task.started_at),
        'updatedAt': rfc3339(task.updated_at),
        'finishedAt': rfc3339(task.finished_at),
        'expiresAt': rfc3339(task.expires_at),
        'cancellable': is_cancellable(task),
        'retryable': is_retryable(task),
        'jobs': [
            {
                'id': str(job.position),
                'type': job.type,
                'description': job.description,
                'status': job.status,
                'startedAt': rfc3339(job.started_at),
                'finishedAt': rfc3339(job.finished_at),
            }
            for job in jobs
        ],
        'errors': task_errors(task),
        'log': task.log,
    }


def _v1(task: Task, links: list[dict]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        'links': links,
        'id': task.id,
        'type': task.type,
        'status': v1_status(task.status),
        'expiresAt': rfc3339(task.expires_at),
    }
    if task.status == 'cancelled':
        doc['error'] = {'code': 'TASK-CANCELLED', 'message': 'The task was cancelled'}
    elif task.status == 'failed':
        errors = task_errors(task)
        first = errors[0] if errors else {'code': 'TASK-FAILED', 'message': 'Failed'}
        doc['error'] = {'code': first['code'], 'message': first['message']}
    return doc
