"""The task store over the shared database (SQLite or PostgreSQL).

:class:`SqlStore` implements :class:`abiq.tasks.store.TaskStore` for the
engine; :func:`visible_with_jobs` and :func:`jobs_of` are the reads of
:mod:`abiq.tasks.records`. Every statement they run is a compiled one of
:mod:`abiq.db.taskstatements`; ``tests/test_task_store.py`` checks that this
store leaves the rows :class:`abiq.tasks.memstore.MemoryStore` leaves.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Any

from abiq.db import taskfused
from abiq.db import taskstatements as sql
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import database
from abiq.db.models import write_transaction
from abiq.tasks.store import Ending
from abiq.tasks.store import end_then_claim
from abiq.tasks.store import start_first

__all__ = ['SqlStore', 'jobs_of', 'visible_with_jobs']

LOG_LIMIT = 65536


class SqlStore:
    """The tasks and jobs of the shared database (SQLite or PostgreSQL)."""

    def transaction(self) -> AbstractContextManager[Any]:
        """Return a write transaction (see :func:`write_transaction`)."""
        return write_transaction()

    def insert(self, task: dict[str, Any], jobs: list[dict[str, Any]]) -> Any:
        """Insert a task and its jobs; the row carries ``accepted_jobs``."""
        row = sql.INSERT_TASK.insert(**task)
        row.accepted_jobs = [
            sql.INSERT_JOB.insert(task=task['id'], **job) for job in jobs
        ]
        return row

    def claim(
        self, worker_id: str, now: dt.datetime, lease: dt.datetime, max_claims: int
    ) -> Any:
        """Take the oldest abandoned, else oldest pending, task; start its
        first unfinished job (in one statement on PostgreSQL)."""
        if taskfused.applies():
            rows = taskfused.CLAIM_STARTING.joined(
                worker_id=worker_id, now=now, lease=lease, max_claims=max_claims
            )
            return _claimed(rows, now, max_claims)
        task = sql.CLAIM.first(worker_id=worker_id, now=now, lease=lease)
        if task is not None:
            task.claimed_jobs = sql.JOBS_OF_TASK.rows(task_id=task.id)
            started = start_first(task, task.claimed_jobs, now, max_claims)
            if started is not None:
                sql.START_JOB.execute(job_id=started.id, now=now)
        return task

    def end_and_claim(
        self,
        task_id: str,
        worker_id: str,
        ending: Ending,
        lease: dt.datetime,
        max_claims: int,
    ) -> Any:
        """End a held task, then claim the next (one statement on
        PostgreSQL, run outside any transaction of the caller's)."""
        if taskfused.applies() and ending.status == 'finished':
            rows = taskfused.END_CLAIMING.joined(
                **_end_values(task_id, worker_id, ending),
                job_id=ending.finished_job,
                lease=lease,
                max_claims=max_claims,
            )
            return _claimed(rows, ending.now, max_claims)
        return end_then_claim(self, task_id, worker_id, ending, lease, max_claims)

    def task(self, task_id: str) -> Any:
        """Return a task's row, or None."""
        return sql.TASK.first(task_id=task_id)

    def locked(self, task_id: str) -> Any:
        """Return a task's row, locked until the transaction ends."""
        return sql.LOCKED.first(task_id=task_id)

    def renew(self, task_id: str, worker_id: str, lease: dt.datetime) -> bool:
        """Extend the lease; False when the worker does not hold it."""
        return bool(
            sql.RENEW.execute(task_id=task_id, worker_id=worker_id, lease=lease)
        )

    def hold(self, task_id, worker_id, now, lease, progress) -> bool:  # noqa: ANN001
        """Renew the lease and record progress; False when not held."""
        return bool(
            sql.HOLD.execute(
                task_id=task_id,
                worker_id=worker_id,
                now=now,
                lease=lease,
                progress=progress,
            )
        )

    def start_job(self, job_id: Any, now: dt.datetime) -> None:
        """Mark a job running (one more run)."""
        sql.START_JOB.execute(job_id=job_id, now=now)

    def end_job(self, job_id: Any, status: str, now: dt.datetime) -> None:
        """Mark a job finished or failed."""
        sql.END_JOB.execute(job_id=job_id, status=status, now=now)

    def end_task(self, task_id: str, worker_id: str, ending: Ending) -> bool:
        """End a held task; a cancelled one's unfinished jobs with it."""
        values = _end_values(task_id, worker_id, ending)
        job_id = ending.finished_job
        # NOTE: a cancelled task's other jobs end too: not in one statement.
        if job_id is not None and ending.status != 'cancelled' and taskfused.applies():
            return bool(taskfused.END_FINISHING.execute(job_id=job_id, **values))
        held = sql.END.execute(**values)
        if held and job_id is not None:
            sql.END_JOB.execute(job_id=job_id, status='finished', now=ending.now)
        if held and ending.status == 'cancelled':
            sql.CANCEL_JOBS.execute(task_id=task_id, now=ending.now)
        return bool(held)

    def release(self, task_id: str, worker_id: str, now: dt.datetime) -> None:
        """Give a held task back: pending again, this claim not counted."""
        sql.RELEASE.execute(task_id=task_id, worker_id=worker_id, now=now)

    def request_cancel(self, task_id: str, now: dt.datetime) -> None:
        """Set the cancel flag a running task's worker looks at."""
        sql.REQUEST_CANCEL.execute(task_id=task_id, now=now)

    def cancel_now(self, task_id: str, now: dt.datetime, expires: dt.datetime) -> None:
        """Cancel a task that no worker runs, and its unfinished jobs."""
        sql.CANCEL_NOW.execute(task_id=task_id, now=now, expires=expires)
        sql.CANCEL_JOBS.execute(task_id=task_id, now=now)

    def cancel_requested(self, task_id: str) -> bool:
        """Tell whether someone asked the task to stop."""
        return bool(sql.CANCEL_REQUESTED.scalar(task_id=task_id))

    def append_log(self, task_id: str, line: str, now: dt.datetime) -> None:
        """Append a line to the task's log (its last 64 KiB are kept)."""
        task = sql.LOG.first(task_id=task_id)
        if task is not None:
            text = f'{task.log}\n{line}' if task.log else line
            sql.SET_LOG.execute(task_id=task_id, log=text[-LOG_LIMIT:], now=now)

    def reset_for_retry(self, task_id: str, now: dt.datetime) -> None:
        """Put an ended task back to pending, next attempt."""
        sql.RETRY_TASK.execute(task_id=task_id, now=now)
        sql.RETRY_JOBS.execute(task_id=task_id)

    def jobs_of(self, tasks: list[Any]) -> dict[str, list[Any]]:
        """Return the job rows of several tasks, in order, by task id."""
        return jobs_of(tasks)

    def purge(self, now: dt.datetime) -> int:
        """Delete the tasks (and jobs) expired at ``now``; return how many."""
        with database.atomic():
            sql.PURGE_JOBS.execute(now=now)
            return sql.PURGE_TASKS.execute(now=now)

    def revision(self, task_id: str) -> int | None:
        """Return a task's revision (None: it does not exist)."""
        return sql.REVISION.scalar(task_id=task_id)


def _end_values(task_id: str, worker_id: str, ending: Ending) -> dict[str, Any]:
    """Return the parameters of an end statement (taskstatements.END)."""
    result = ending.result or (None, None)
    return {
        'task_id': task_id,
        'worker_id': worker_id,
        'status': ending.status,
        'now': ending.now,
        'expires': ending.expires,
        'errors': ending.errors,
        'progress': ending.progress,
        'result_kind': result[0],
        'result_id': result[1],
    }


def _claimed(rows: list[dict[Any, Any]], now: dt.datetime, max_claims: int) -> Any:
    """Return the task a fused claim took (its jobs as ``claimed_jobs``, the
    one it started marked so), or None."""
    if not rows:
        return None
    task = rows[0][Task]
    jobs = [row[TaskJob] for row in rows if row[TaskJob] is not None]
    task.claimed_jobs = jobs
    start_first(task, jobs, now, max_claims)
    return task


def visible_with_jobs(
    task_id: str, now: dt.datetime, enterprise_id: int | None
) -> tuple[Any, list[Any]] | None:
    """Return an unexpired task (of the enterprise, unless None) and its jobs
    in one query, or None."""
    if enterprise_id is None:
        rows = sql.TASK_FOR_ADMIN.joined(task_id=task_id, now=now)
    else:
        rows = sql.TASK_IN_ENTERPRISE.joined(
            task_id=task_id, now=now, enterprise=enterprise_id
        )
    if not rows:
        return None
    return rows[0][Task], [row[TaskJob] for row in rows if row[TaskJob] is not None]


def jobs_of(tasks: list[Any]) -> dict[str, list[Any]]:
    """Return the jobs of several tasks in one query, in order."""
    if len(tasks) == 1:
        return {tasks[0].id: sql.JOBS_OF_TASK.rows(task_id=tasks[0].id)}
    found: dict[str, list[Any]] = {task.id: [] for task in tasks}
    if found:
        values = sql.id_values(list(found))
        for job in sql.jobs_of_tasks(len(values)).rows(**values):
            found[job.task_id].append(job)
    return found
