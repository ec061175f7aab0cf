"""Every compiled statement over the task tables, in one place.

:class:`abiq.tasks.sqlstore.SqlStore` runs them for the engine and the task
records. Each is built once per dialect with named parameters (see
:mod:`abiq.db.compiled`); ``tests/unit/db/test_compiled.py`` checks each
against the SQL peewee builds for the same query with real values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peewee

from abiq.db.compiled import Compiled
from abiq.db.compiled import CompiledInsert
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import locked
from abiq.db.taskclaim import CLAIM

__all__ = ['CLAIM', 'id_values', 'jobs_of_tasks', 'tasks_by_id', 'unexpired']

UNFINISHED = ['pending', 'running']
DONE = ['finished', 'skipped']


def unexpired(now: Any) -> peewee.Expression:
    """Return the condition of a task that has not expired at ``now``."""
    return Task.expires_at.is_null() | (Task.expires_at > now)


def _by_id(task_id: Any) -> peewee.Expression:
    return Task.id == task_id


def _held(task_id: Any, worker_id: Any) -> peewee.Expression:
    return (Task.id == task_id) & (Task.lease_owner == worker_id)


def _with_jobs(condition: peewee.Expression) -> peewee.ModelSelect:
    # NOTE: the task and its jobs in one query (one row per job): under load
    # every database call is a GIL hand-off.
    return (
        Task.select(Task, TaskJob)
        .join(TaskJob, peewee.JOIN.LEFT_OUTER, on=(TaskJob.task == Task.id))
        .where(condition)
        .order_by(TaskJob.position)
    )


INSERT_TASK = CompiledInsert(Task)
INSERT_JOB = CompiledInsert(TaskJob)
TASK = Compiled(lambda task_id: Task.select().where(_by_id(task_id)))
LOCKED = Compiled(lambda task_id: locked(Task.select().where(_by_id(task_id))))
REVISION = Compiled(lambda task_id: Task.select(Task.revision).where(_by_id(task_id)))
CANCEL_REQUESTED = Compiled(
    lambda task_id: Task.select(Task.cancel_requested).where(_by_id(task_id))
)
LOG = Compiled(lambda task_id: Task.select(Task.log).where(_by_id(task_id)))
# NOTE: the log is part of the task's representation: a new line is a new
# revision (long polls wake on it; abiq.polled's kept answers go stale).
SET_LOG = Compiled(
    lambda task_id, log, now: Task.update(
        log=log, updated_at=now, revision=Task.revision + 1
    ).where(_by_id(task_id))
)
TASK_FOR_ADMIN = Compiled(
    lambda task_id, now: _with_jobs(_by_id(task_id) & unexpired(now))
)
TASK_IN_ENTERPRISE = Compiled(
    lambda task_id, now, enterprise: _with_jobs(
        _by_id(task_id) & unexpired(now) & (Task.enterprise == enterprise)
    )
)
JOBS_OF_TASK = Compiled(
    lambda task_id: (
        TaskJob.select().where(TaskJob.task == task_id).order_by(TaskJob.position)
    )
)


RENEW = Compiled(
    lambda task_id, worker_id, lease: Task.update(lease_expires_at=lease).where(
        _held(task_id, worker_id)
    )
)
HOLD = Compiled(
    lambda task_id, worker_id, now, lease, progress: Task.update(
        updated_at=now,
        lease_expires_at=lease,
        progress=progress,
        revision=Task.revision + 1,
    ).where(_held(task_id, worker_id))
)
RELEASE = Compiled(
    lambda task_id, worker_id, now: Task.update(
        status='pending',
        lease_owner=None,
        lease_expires_at=None,
        claims=Task.claims - 1,
        updated_at=now,
        revision=Task.revision + 1,
    ).where(_held(task_id, worker_id))
)


# NOTE: one statement for every way a task ends; a None keeps the column.
def _end(
    task_id, worker_id, status, now, expires, errors, progress, result_kind, result_id
) -> peewee.ModelUpdate:
    return Task.update(
        status=status,
        finished_at=now,
        updated_at=now,
        expires_at=expires,
        lease_owner=None,
        lease_expires_at=None,
        cancel_requested=False,
        revision=Task.revision + 1,
        errors=peewee.fn.COALESCE(errors, Task.errors),
        progress=peewee.fn.COALESCE(progress, Task.progress),
        result_kind=peewee.fn.COALESCE(result_kind, Task.result_kind),
        result_id=peewee.fn.COALESCE(result_id, Task.result_id),
    ).where(_held(task_id, worker_id))


END = Compiled(_end)
REQUEST_CANCEL = Compiled(
    lambda task_id, now: Task.update(
        cancel_requested=True, updated_at=now, revision=Task.revision + 1
    ).where(_by_id(task_id))
)
CANCEL_NOW = Compiled(
    lambda task_id, now, expires: Task.update(
        status='cancelled',
        finished_at=now,
        expires_at=expires,
        updated_at=now,
        revision=Task.revision + 1,
    ).where(_by_id(task_id))
)
RETRY_TASK = Compiled(
    lambda task_id, now: Task.update(
        status='pending',
        attempt=Task.attempt + 1,
        claims=0,
        errors='[]',
        finished_at=None,
        expires_at=None,
        cancel_requested=False,
        updated_at=now,
        revision=Task.revision + 1,
    ).where(_by_id(task_id))
)
START_JOB = Compiled(
    lambda job_id, now: TaskJob.update(
        status='running', started_at=now, finished_at=None, runs=TaskJob.runs + 1
    ).where(TaskJob.id == job_id)
)
END_JOB = Compiled(
    lambda job_id, status, now: TaskJob.update(status=status, finished_at=now).where(
        TaskJob.id == job_id
    )
)
CANCEL_JOBS = Compiled(
    lambda task_id, now: TaskJob.update(status='cancelled', finished_at=now).where(
        (TaskJob.task == task_id) & TaskJob.status.in_(UNFINISHED)
    )
)
RETRY_JOBS = Compiled(
    lambda task_id: TaskJob.update(
        status='pending', started_at=None, finished_at=None
    ).where((TaskJob.task == task_id) & TaskJob.status.not_in(DONE))
)
PURGE_JOBS = Compiled(
    lambda now: TaskJob.delete().where(
        TaskJob.task.in_(Task.select(Task.id).where(Task.expires_at < now))
    )
)
PURGE_TASKS = Compiled(lambda now: Task.delete().where(Task.expires_at < now))

_FOR_IDS: dict[tuple[str, int], Compiled] = {}


def id_values(ids: list[str]) -> dict[str, str]:
    """Return the values of a statement of several ids (``id0``, ``id1``...).

    NOTE: one statement per power of two of ids, padded with the last id: a
    statement holds ~200 bytes per id, and one per page size a client may ask
    for (1..ABIQ_MAX_PAGE) would keep ~100 MiB.
    """
    padded = ids + ids[-1:] * ((1 << (len(ids) - 1).bit_length()) - len(ids))
    return {f'id{number}': task_id for number, task_id in enumerate(padded)}


def _for_ids(kind: str, count: int, build: Callable[[list], peewee.Query]) -> Compiled:
    compiled = _FOR_IDS.get((kind, count))
    if compiled is None:
        compiled = Compiled(
            lambda **ids: build(list(ids.values())),
            names=[f'id{number}' for number in range(count)],
        )
        _FOR_IDS[kind, count] = compiled
    return compiled


def jobs_of_tasks(count: int) -> Compiled:
    """Return the jobs query for ``count`` task ids (a power of two)."""
    return _for_ids(
        'jobs',
        count,
        lambda ids: (
            TaskJob.select()
            .where(TaskJob.task.in_(ids))
            .order_by(TaskJob.task, TaskJob.position)
        ),
    )


def tasks_by_id(count: int) -> Compiled:
    """Return the query of the tasks of ``count`` ids (a power of two)."""
    return _for_ids('tasks', count, lambda ids: Task.select().where(Task.id.in_(ids)))


def statements() -> dict[str, Compiled]:
    """Return every fixed statement of this module, by name."""
    return {
        name: value
        for name, value in globals().items()
        if isinstance(value, Compiled) and name.isupper()
    }
