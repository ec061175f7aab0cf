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

from abiq.db import taskstatements as sql
from abiq.db.listing import Listing
from abiq.db.models import Task
from abiq.db.models import TaskJob
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
    'task_listing',
    'tasks_by_id',
    'update_external',
]


def task_listing(
    enterprise_id: int | None,
    statuses: list[str],
    task_type: str | None,
    target: tuple[str, str] | None,
    now: dt.datetime,
) -> Listing:
    """Return the unexpired tasks of an enterprise (None: of all), with any
    of ``statuses`` (all when empty), of a type, that targeted an entity
    (``(kind, id)``): a listing compiled once per shape."""
    values: dict[str, Any] = {'now': now}
    if enterprise_id is not None:
        values['enterprise'] = enterprise_id
    values.update({f'status{n}': status for n, status in enumerate(statuses)})
    if task_type is not None:
        values['task_type'] = task_type
    if target is not None:
        values['target_kind'], values['target_id'] = target
    shape = ('tasks', *sorted(values))
    return Listing(shape, _filtered_tasks, values)


def _filtered_tasks(now: Any, **values: Any) -> peewee.ModelSelect:
    # NOTE: a page's rows carry what tells whether the task's document is
    # kept (abiq.finished); the rows of the others are read by id after.
    query = Task.select(Task.id, Task.revision, Task.status).where(unexpired(now))
    if 'enterprise' in values:
        query = query.where(Task.enterprise == values['enterprise'])
    statuses = [value for name, value in values.items() if name.startswith('status')]
    if statuses:
        query = query.where(Task.status.in_(statuses))
    if 'task_type' in values:
        query = query.where(Task.type == values['task_type'])
    if 'target_kind' in values:
        query = query.where(
            (Task.target_kind == values['target_kind'])
            & (Task.target_id == values['target_id'])
        )
    return query


def tasks_by_id(ids: list[str]) -> dict[str, Any]:
    """Return the rows of tasks by id (those that still exist)."""
    if not ids:
        return {}
    values = sql.id_values(ids)
    return {task.id: task for task in sql.tasks_by_id(len(values)).rows(**values)}


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
    for name, value in _status_fields(task.started_at, status, now, retention).items():
        setattr(task, name, value)


def _status_fields(
    started_at: dt.datetime | None, status: str, now: dt.datetime, retention: int
) -> dict[str, Any]:
    """Return the fields a task (started at ``started_at``, or never)
    moving to ``status`` at ``now`` takes."""
    fields: dict[str, Any] = {'status': status}
    if status == 'running' and started_at is None:
        fields['started_at'] = now
    if status in TERMINAL:
        fields['finished_at'] = now
        fields['expires_at'] = now + dt.timedelta(seconds=retention)
        if status == 'finished':
            fields['progress'] = 100
    return fields


def _job_rows(jobs: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """Return the rows of an external task's jobs (without the task)."""
    rows = []
    for position, job in enumerate(jobs, start=1):
        status = job.get('status', 'pending')
        rows.append(
            {
                'position': position,
                'type': job.get('type', 'STEP'),
                'description': job.get('description', ''),
                'status': status,
                'started_at': now if status != 'pending' else None,
                'finished_at': now if status in TERMINAL | {'skipped'} else None,
            }
        )
    return rows


def _replace_jobs(task: Task, jobs: list[dict[str, Any]], now: dt.datetime) -> None:
    TaskJob.delete().where(TaskJob.task == task.id).execute()
    rows = [dict(row, task=task.id) for row in _job_rows(jobs, now)]
    if rows:
        TaskJob.insert_many(rows).execute()


def create_external(
    caller: Caller,
    doc: dict[str, Any],
    enterprise_id: int,
    target: tuple[str, str] | None,
    retention: int,
) -> Any:
    """Create an external task from a validated body (it starts at attempt 1).

    The row returned carries ``accepted_jobs``, its jobs as committed.
    """
    now = utcnow()
    values: dict[str, Any] = {
        'id': str(uuid.uuid4()),
        'type': doc['type'],
        'description': doc.get('description', ''),
        'progress': doc.get('progress', 0),
        'log': doc.get('log', ''),
        'enterprise': enterprise_id,
        'user': caller.user.id,
        'external': True,
        'created_at': now,
        'updated_at': now,
        'started_at': None,
        'target_kind': target[0] if target else None,
        'target_id': target[1] if target else None,
    }
    status = doc.get('status', 'pending')
    values.update(_status_fields(None, status, now, retention))
    jobs = _job_rows(doc.get('jobs', []), now)
    # NOTE: compiled inserts (abiq.db.taskstatements): peewee building an
    # INSERT was a third of an external task's POST.
    with write_transaction():
        task = sql.INSERT_TASK.insert(**values)
        task.accepted_jobs = [
            sql.INSERT_JOB.insert(task=task.id, **job) for job in jobs
        ]
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
