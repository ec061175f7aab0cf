"""Reading and changing task records: visibility and external tasks.

The rules of API.md section 8 that do not need a worker live here, so the
HTTP resources stay thin; refusals are domain exceptions
(:mod:`abiq.exceptions`), decided by :mod:`abiq.tasks.rules`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import peewee

from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import database
from abiq.db.models import locked
from abiq.db.models import utcnow
from abiq.db.models import write_transaction
from abiq.db.taskstatements import unexpired
from abiq.exceptions import TaskNotFound
from abiq.exceptions import UnknownStatus
from abiq.exceptions import quoted
from abiq.statuses import TERMINAL
from abiq.statuses import normalize_status
from abiq.tasks import rules
from abiq.tasks.sqlstore import jobs_of
from abiq.tasks.sqlstore import visible_with_jobs

# NOTE: who reads or writes (an abiq.auth.Caller, from the HTTP edge).
Caller = rules.Actor

__all__ = [
    'create_external',
    'get_visible',
    'get_visible_with_jobs',
    'jobs_of',
    'status_filter',
    'update_external',
    'visible_tasks',
]


def visible_tasks(caller: Caller, now: dt.datetime | None = None) -> peewee.ModelSelect:
    """Return the tasks the caller may see, unexpired at ``now``."""
    query = Task.select().where(unexpired(now or utcnow()))
    if not caller.is_admin:
        query = query.where(Task.enterprise == caller.enterprise_id)
    return query


def get_visible(caller: Caller, task_id: str) -> Task:
    """Return a task the caller may see.

    Raises:
        TaskNotFound: it does not exist, has expired or belongs to another
            enterprise.
    """
    return get_visible_with_jobs(caller, task_id)[0]


def get_visible_with_jobs(caller: Caller, task_id: str) -> tuple[Task, list[TaskJob]]:
    """Return a task the caller may see, and its jobs in order (one query).

    Raises:
        TaskNotFound: as :func:`get_visible`.
    """
    enterprise_id = None if caller.is_admin else caller.enterprise_id
    found = visible_with_jobs(task_id, utcnow(), enterprise_id)
    if found is None:
        raise TaskNotFound('The requested task does not exist')
    return found


def status_filter(values: list[str]) -> list[str]:
    """Return the canonical statuses of ``status`` query values.

    Raises:
        UnknownStatus: a value that is not a status or alias.
    """
    statuses = []
    for value in values:
        status = normalize_status(value)
        if status is None or status == 'skipped':
            raise UnknownStatus(
                f'Unknown task status {quoted(value)!r}; use pending, running, '
                'finished, failed or cancelled (or an alias)'
            )
        statuses.append(status)
    return statuses


def _set_status(task: Task, status: str, now: dt.datetime, retention: int) -> None:
    task.status = status
    if status == 'running' and task.started_at is None:
        task.started_at = now
    if status in TERMINAL:
        task.finished_at = now
        task.expires_at = now + dt.timedelta(seconds=retention)
        if status == 'finished':
            task.progress = 100


def _replace_jobs(task: Task, jobs: list[dict[str, Any]], now: dt.datetime) -> None:
    TaskJob.delete().where(TaskJob.task == task.id).execute()
    rows = []
    for position, job in enumerate(jobs, start=1):
        status = job.get('status', 'pending')
        rows.append(
            {
                'task': task.id,
                'position': position,
                'type': job.get('type', 'STEP'),
                'description': job.get('description', ''),
                'status': status,
                'started_at': now if status != 'pending' else None,
                'finished_at': now if status in TERMINAL | {'skipped'} else None,
            }
        )
    if rows:
        TaskJob.insert_many(rows).execute()


def create_external(
    caller: Caller,
    doc: dict[str, Any],
    enterprise_id: int,
    target: tuple[str, str] | None,
    retention: int,
) -> Task:
    """Create an external task from a validated body (it starts at attempt 1)."""
    now = utcnow()
    with database.atomic():
        task = Task(
            id=str(uuid.uuid4()),
            type=doc['type'],
            description=doc.get('description', ''),
            progress=doc.get('progress', 0),
            log=doc.get('log', ''),
            enterprise=enterprise_id,
            user=caller.user.id,
            external=True,
            created_at=now,
            updated_at=now,
            target_kind=target[0] if target else None,
            target_id=target[1] if target else None,
        )
        _set_status(task, doc.get('status', 'pending'), now, retention)
        task.save(force_insert=True)
        _replace_jobs(task, doc.get('jobs', []), now)
    return task


def update_external(task: Task, doc: dict[str, Any], retention: int) -> Task:
    """Apply a PUT body to an external task; fields left out keep their value.

    Raises:
        NotExternal: the server runs the task.
        TaskEnded: the task has ended.
    """
    rules.check_edit(task)
    now = utcnow()
    with write_transaction():
        task = locked(Task.select().where(Task.id == task.id)).get()
        rules.check_edit(task)
        for field in ('description', 'progress', 'log'):
            if field in doc:
                setattr(task, field, doc[field])
        if 'status' in doc:
            _set_status(task, doc['status'], now, retention)
        if 'jobs' in doc:
            _replace_jobs(task, doc['jobs'], now)
        task.updated_at = now
        task.revision += 1
        task.save()
    return task
