"""Reading and changing task records: visibility, external tasks, cancel.

The rules of API.md section 8 that do not need a worker live here, so the
HTTP resources stay thin and the engine (next to this module) can reuse them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING
from typing import Any

import peewee

from abiq.db.compiled import Compiled
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import database
from abiq.db.models import locked
from abiq.db.models import utcnow
from abiq.db.models import write_transaction
from abiq.errors import bad_request
from abiq.errors import conflict
from abiq.errors import not_found
from abiq.errors import quoted
from abiq.paging import CollectionSpec
from abiq.statuses import TERMINAL
from abiq.statuses import normalize_status
from abiq.tasks.counting import unexpired

if TYPE_CHECKING:
    from abiq.auth import Caller

__all__ = [
    'TASKS',
    'cancel',
    'create_external',
    'get_visible',
    'get_visible_with_jobs',
    'jobs_of',
    'status_filter',
    'update_external',
    'visible_tasks',
]

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


def visible_tasks(caller: Caller, now: dt.datetime | None = None) -> peewee.ModelSelect:
    """Return the tasks the caller may see, unexpired at ``now``."""
    query = Task.select().where(unexpired(now or utcnow()))
    if not caller.is_admin:
        query = query.where(Task.enterprise == caller.enterprise_id)
    return query


def _with_jobs(condition: peewee.Expression) -> peewee.ModelSelect:
    # NOTE: the task and its jobs in one query (one row per job): under load
    # every database call is a GIL hand-off.
    return (
        Task.select(Task, TaskJob)
        .join(TaskJob, peewee.JOIN.LEFT_OUTER, on=(TaskJob.task == Task.id))
        .where(condition)
        .order_by(TaskJob.position)
    )


_TASK_FOR_ADMIN = Compiled(
    lambda task_id, now: _with_jobs((Task.id == task_id) & unexpired(now)),
    task_id='<task id>',
    now=dt.datetime(1970, 1, 2, 3, 4, 5, 6),
)
_TASK_IN_ENTERPRISE = Compiled(
    lambda task_id, now, enterprise: _with_jobs(
        (Task.id == task_id) & unexpired(now) & (Task.enterprise == enterprise)
    ),
    task_id='<task id>',
    now=dt.datetime(1970, 1, 2, 3, 4, 5, 6),
    enterprise=-987654321,
)
_JOBS_OF_TASK = Compiled(
    lambda task_id: (
        TaskJob.select().where(TaskJob.task == task_id).order_by(TaskJob.position)
    ),
    task_id='<task id>',
)


def get_visible(caller: Caller, task_id: str) -> Task:
    """Return a task the caller may see.

    Raises:
        ApiError: 404 ``TASK-1`` when it does not exist, has expired or
            belongs to another enterprise.
    """
    return get_visible_with_jobs(caller, task_id)[0]


def get_visible_with_jobs(caller: Caller, task_id: str) -> tuple[Task, list[TaskJob]]:
    """Return a task the caller may see, and its jobs in order (one query).

    Raises:
        ApiError: 404 ``TASK-1``, as :func:`get_visible`.
    """
    if caller.is_admin:
        rows = _TASK_FOR_ADMIN.joined(task_id=task_id, now=utcnow())
    else:
        rows = _TASK_IN_ENTERPRISE.joined(
            task_id=task_id, now=utcnow(), enterprise=caller.enterprise_id
        )
    if not rows:
        raise not_found('TASK-1', 'The requested task does not exist')
    jobs = [row[TaskJob] for row in rows if row[TaskJob] is not None]
    return rows[0][Task], jobs


def status_filter(values: list[str]) -> list[str]:
    """Return the canonical statuses of ``status`` query values.

    Raises:
        ApiError: 400 ``QUERY-4`` for a value that is not a status or alias.
    """
    statuses = []
    for value in values:
        status = normalize_status(value)
        if status is None or status == 'skipped':
            raise bad_request(
                'QUERY-4',
                f'Unknown task status {quoted(value)!r}; use pending, running, '
                'finished, failed or cancelled (or an alias)',
            )
        statuses.append(status)
    return statuses


def jobs_of(tasks: list[Task]) -> dict[str, list[TaskJob]]:
    """Return the jobs of several tasks in one query, in order."""
    if len(tasks) == 1:
        return {tasks[0].id: _JOBS_OF_TASK.rows(task_id=tasks[0].id)}
    found: dict[str, list[TaskJob]] = {task.id: [] for task in tasks}
    if found:
        # NOTE: one statement per power of two of ids, padded with the last
        # id: a statement holds ~200 bytes per id, and one per page size a
        # client may ask for (1..ABIQ_MAX_PAGE) would keep ~100 MiB.
        ids = list(found)
        ids += ids[-1:] * ((1 << (len(ids) - 1).bit_length()) - len(ids))
        values = {f'id{number}': task_id for number, task_id in enumerate(ids)}
        for job in _jobs_of_tasks(len(ids)).rows(**values):
            found[job.task_id].append(job)
    return found


_JOBS_OF_TASKS: dict[int, Compiled] = {}


def _jobs_of_tasks(count: int) -> Compiled:
    """Return the jobs query for ``count`` task ids (a power of two)."""
    compiled = _JOBS_OF_TASKS.get(count)
    if compiled is None:
        compiled = Compiled(
            lambda **ids: (
                TaskJob.select()
                .where(TaskJob.task.in_(list(ids.values())))
                .order_by(TaskJob.task, TaskJob.position)
            ),
            **{f'id{number}': f'<task id {number}>' for number in range(count)},
        )
        _JOBS_OF_TASKS[count] = compiled
    return compiled


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
        ApiError: 409 ``TASK-3`` for a server-run task, ``TASK-2`` for a
            task that has ended.
    """
    if not task.external:
        raise conflict(
            'TASK-3',
            'Only external tasks can be updated; this one is run by the server',
        )
    now = utcnow()
    with write_transaction():
        task = locked(Task.select().where(Task.id == task.id)).get()
        if task.status in TERMINAL:
            raise conflict(
                'TASK-2', f'The task is {task.status} and can no longer change'
            )
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


def cancel(task: Task, retention: int) -> bool:
    """Cancel a task; return True when it is cancelled now.

    A pending or external task is cancelled at once. A running server task is
    asked to stop at its next job boundary (False: the cancel is pending).

    Raises:
        ApiError: 409 ``TASK-2`` when the task has already ended.
    """
    now = utcnow()
    with write_transaction():
        task = locked(Task.select().where(Task.id == task.id)).get()
        if task.status in TERMINAL:
            raise conflict(
                'TASK-2', f'The task is {task.status} and cannot be cancelled'
            )
        if task.status == 'running' and not task.external:
            task.cancel_requested = True
            done = False
        else:
            _set_status(task, 'cancelled', now, retention)
            TaskJob.update(status='cancelled', finished_at=now).where(
                (TaskJob.task == task.id) & (TaskJob.status.in_(['pending', 'running']))
            ).execute()
            done = True
        task.updated_at = now
        task.revision += 1
        task.save()
    return done
