"""The task engine: submit, claim, run, retry and purge server-run tasks.

Guarantees:

* A task is committed, with all its jobs, before :meth:`Engine.submit`
  returns, so the 202 that follows never announces work that could be lost.
* At most one worker runs a task at a time: a worker claims it atomically and
  holds a lease it renews; every write it makes is conditional on still
  holding the lease, so a worker that lost it can no longer change the task.
* Jobs run at least once, in order. A job that was interrupted (its worker
  died) runs again on the next claim; finished jobs never run again.
* After ``max_attempts`` claims of one attempt (workers kept dying) the task
  fails with ``TASK-4``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import peewee

from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import database
from abiq.db.models import locked
from abiq.db.models import utcnow
from abiq.db.models import write_transaction
from abiq.errors import conflict
from abiq.pgnotify import notify_all
from abiq.tasks import records
from abiq.tasks.notify import Changes
from abiq.tasks.registry import Cancelled
from abiq.tasks.registry import JobContext
from abiq.tasks.registry import JobError
from abiq.tasks.registry import JobSpec
from abiq.tasks.registry import TaskType

__all__ = ['Engine']

log = logging.getLogger('abiq.engine')


class Engine:
    """Runs server-side tasks over the shared database.

    Args:
        retention: seconds a terminal task stays readable.
        lease_seconds: how long a claim lasts without renewal.
        max_attempts: claims of one attempt before the task fails.
        changes: in-process change notifications.
    """

    def __init__(
        self,
        retention: int,
        lease_seconds: float,
        max_attempts: int,
        changes: Changes | None = None,
    ) -> None:
        self.retention = retention
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.changes = changes or Changes()
        self.types: dict[str, TaskType] = {}
        self.driver: Any = None  # the hypervisor domain jobs use (set by catalog)

    def announce(self) -> None:
        """Tell every waiter, in this process and (PostgreSQL) all others,
        that a task changed."""
        notify_all()
        self.changes.notify()

    def register(self, task_type: TaskType) -> None:
        """Make a task type runnable."""
        self.types[task_type.name] = task_type

    # -- submitting ----------------------------------------------------------

    def submit(
        self,
        type_name: str,
        *,
        enterprise_id: int,
        user_id: int | None,
        jobs: list[JobSpec],
        description: str = '',
        params: dict[str, Any] | None = None,
        target: tuple[str, str] | None = None,
        before_commit: Callable[[str], None] | None = None,
    ) -> Task:
        """Create a pending task and its jobs, committed when this returns.

        Args:
            before_commit: called with the new task's id inside the same
                transaction (to take locks); an exception rolls it all back.
        """
        if type_name not in self.types:
            raise KeyError(f'unknown task type {type_name}')
        now = utcnow()
        task = Task(
            id=str(uuid.uuid4()),
            type=type_name,
            description=description,
            enterprise=enterprise_id,
            user=user_id,
            created_at=now,
            updated_at=now,
            params=orjson.dumps(params or {}).decode(),
            target_kind=target[0] if target else None,
            target_id=target[1] if target else None,
        )
        with write_transaction():
            if before_commit is not None:
                before_commit(task.id)
            task.save(force_insert=True)
            TaskJob.insert_many(
                [
                    {
                        'task': task.id,
                        'position': position,
                        'type': job.type,
                        'description': job.description,
                        'params': orjson.dumps(job.params).decode(),
                    }
                    for position, job in enumerate(jobs, start=1)
                ]
            ).execute()
        self.announce()
        return task

    # -- claiming ------------------------------------------------------------

    def _claimable(self, now: dt.datetime) -> peewee.Expression:
        expired = (Task.status == 'running') & (Task.lease_expires_at < now)
        return (Task.external == False) & (  # noqa: E712 - a SQL expression
            (Task.status == 'pending') | expired
        )

    def claim(self, worker_id: str) -> Task | None:
        """Take the oldest runnable task (pending, or its lease expired).

        Returns:
            The claimed task, or None when there is nothing to do.
        """
        now = utcnow()
        lease = now + dt.timedelta(seconds=self.lease_seconds)
        with write_transaction():
            query = (
                Task.select(Task.id)
                .where(self._claimable(now))
                .order_by(Task.created_at, Task.id)
                .limit(1)
            )
            if not isinstance(database.obj, peewee.SqliteDatabase):
                # NOTE: SKIP LOCKED lets concurrent workers each take a
                # different task instead of queueing on the same row.
                query = query.for_update(skip_locked=True)
            row = query.first()
            if row is None:
                return None
            Task.update(
                status='running',
                lease_owner=worker_id,
                lease_expires_at=lease,
                claims=Task.claims + 1,
                started_at=peewee.fn.COALESCE(Task.started_at, now),
                updated_at=now,
                revision=Task.revision + 1,
            ).where((Task.id == row.id) & self._claimable(now)).execute()
            task = Task.get_by_id(row.id)
        self.announce()
        return task if task.lease_owner == worker_id else None

    def renew(self, worker_id: str, task_id: str) -> bool:
        """Extend a lease; False when the worker no longer holds it."""
        lease = utcnow() + dt.timedelta(seconds=self.lease_seconds)
        return bool(
            Task.update(lease_expires_at=lease)
            .where((Task.id == task_id) & (Task.lease_owner == worker_id))
            .execute()
        )

    # -- running -------------------------------------------------------------

    def run(
        self, task: Task, worker_id: str, should_stop: Callable[[], bool] = bool
    ) -> None:
        """Run the claimed task's remaining jobs in order, then end it."""
        if task.claims > self.max_attempts:
            self._end(
                task.id,
                worker_id,
                'failed',
                errors=[
                    _error(
                        'TASK-4',
                        f'The task was interrupted {task.claims - 1} times (its worker '
                        'stopped); giving up',
                    )
                ],
            )
            return
        task_type = self.types.get(task.type)
        if task_type is None:
            self._end(
                task.id,
                worker_id,
                'failed',
                errors=[
                    _error(
                        'TASK-5', f'No worker here knows how to run {task.type} tasks'
                    )
                ],
            )
            return
        params = orjson.loads(task.params or '{}')
        jobs = list(task.job_rows.order_by(TaskJob.position))
        for job in jobs:
            if job.status in ('finished', 'skipped'):
                continue
            outcome = self._before_job(task.id, worker_id, should_stop)
            if outcome != 'go':
                return
            if not self._run_job(task, task_type, params, job, jobs, worker_id):
                return
        result = task_type.result(params) if task_type.result else None
        self._end(task.id, worker_id, 'finished', result=result)

    def _before_job(self, task_id: str, worker_id: str, should_stop) -> str:
        task = Task.get_or_none(Task.id == task_id)
        if task is None or task.lease_owner != worker_id:
            return 'lost'
        if task.cancel_requested:
            self._end(task_id, worker_id, 'cancelled')
            return 'cancelled'
        if should_stop():
            self.release(task_id, worker_id)
            return 'stopped'
        return 'go'

    def _run_job(self, task, task_type, params, job, jobs, worker_id) -> bool:
        """Run one job; return False when the task ended or was lost."""
        handler = task_type.handlers.get(job.type)
        if not self._job_update(
            task.id,
            worker_id,
            job,
            status='running',
            started_at=utcnow(),
            finished_at=None,
            runs=TaskJob.runs + 1,
        ):
            return False
        context = JobContext(
            task_id=task.id,
            attempt=task.attempt,
            task_params=params,
            params=orjson.loads(job.params or '{}'),
            position=job.position,
            cancelled=lambda: _cancel_requested(task.id),
            log=lambda line: _append_log(task.id, line),
        )
        try:
            if handler is None:
                raise JobError('TASK-5', f'No handler for job {job.type}')
            handler(context)
        except Cancelled:
            self._end(task.id, worker_id, 'cancelled')
            return False
        except JobError as ex:
            self._fail_job(task.id, worker_id, job, ex.code, ex.message, ex.causes)
            return False
        except Exception as ex:  # a bug in a job must not kill the worker
            log.exception('job %s of task %s failed unexpectedly', job.type, task.id)
            message = f'Job {job.type} failed unexpectedly'
            self._fail_job(
                task.id, worker_id, job, 'TASK-6', message, [type(ex).__name__]
            )
            return False
        job.status = 'finished'
        done = sum(1 for other in jobs if other.status in ('finished', 'skipped'))
        progress = int(100 * done / len(jobs))
        return self._job_update(
            task.id,
            worker_id,
            job,
            status='finished',
            finished_at=utcnow(),
            progress=progress,
        )

    def _fail_job(self, task_id, worker_id, job, code, message, causes) -> None:
        """Mark the job failed, then end the task failed with one error."""
        self._job_update(task_id, worker_id, job, status='failed', finished_at=utcnow())
        self._end(task_id, worker_id, 'failed', errors=[_error(code, message, causes)])

    def _job_update(self, task_id, worker_id, job, progress=None, **fields) -> bool:
        now = utcnow()
        lease = now + dt.timedelta(seconds=self.lease_seconds)
        with write_transaction():
            changes: dict[Any, Any] = {
                Task.updated_at: now,
                Task.lease_expires_at: lease,
                Task.revision: Task.revision + 1,
            }
            if progress is not None:
                changes[Task.progress] = progress
            held = (
                Task.update(changes)
                .where((Task.id == task_id) & (Task.lease_owner == worker_id))
                .execute()
            )
            if held:
                TaskJob.update(**fields).where(TaskJob.id == job.id).execute()
        self.announce()
        return bool(held)

    def _end(self, task_id, worker_id, status, errors=None, result=None) -> None:
        now = utcnow()
        changes: dict[Any, Any] = {
            Task.status: status,
            Task.finished_at: now,
            Task.updated_at: now,
            Task.expires_at: now + dt.timedelta(seconds=self.retention),
            Task.lease_owner: None,
            Task.lease_expires_at: None,
            Task.cancel_requested: False,
            Task.revision: Task.revision + 1,
        }
        if errors is not None:
            changes[Task.errors] = orjson.dumps(errors).decode()
        if status == 'finished':
            changes[Task.progress] = 100
        if result:
            changes[Task.result_kind], changes[Task.result_id] = result
        with write_transaction():
            held = (
                Task.update(changes)
                .where((Task.id == task_id) & (Task.lease_owner == worker_id))
                .execute()
            )
            if held and status == 'cancelled':
                TaskJob.update(status='cancelled', finished_at=now).where(
                    (TaskJob.task == task_id)
                    & TaskJob.status.in_(['pending', 'running'])
                ).execute()
            if held:
                self._ended(task_id, status)
        self.announce()

    def _ended(self, task_id: str, status: str) -> None:
        """Run the task type's end hook (inside the ending transaction)."""
        task = Task.get_by_id(task_id)
        task_type = self.types.get(task.type)
        if task_type is not None and task_type.on_end is not None:
            task_type.on_end(task_id, orjson.loads(task.params or '{}'), status)

    def cancel(self, task: Task) -> bool:
        """Cancel a task; True when cancelled now, False when it will stop at
        its next job boundary (see :func:`abiq.tasks.records.cancel`)."""
        with write_transaction():
            done = records.cancel(task, self.retention)
            if done:
                self._ended(task.id, 'cancelled')
        self.announce()
        return done

    def release(self, task_id: str, worker_id: str) -> None:
        """Give a task back (the worker is stopping): it is claimable again."""
        with write_transaction():
            Task.update(
                status='pending',
                lease_owner=None,
                lease_expires_at=None,
                claims=Task.claims - 1,
                updated_at=utcnow(),
                revision=Task.revision + 1,
            ).where((Task.id == task_id) & (Task.lease_owner == worker_id)).execute()
        self.announce()

    # -- retry and purge ------------------------------------------------------

    def retry(self, task: Task) -> Task:
        """Put a failed or cancelled task back to pending, ``attempt`` + 1.

        Finished jobs are kept and not run again.

        Raises:
            ApiError: 409 ``TASK-2`` for any other status or an external task.
        """
        with write_transaction():
            task = locked(Task.select().where(Task.id == task.id)).get()
            if task.external or task.status not in ('failed', 'cancelled'):
                raise conflict(
                    'TASK-2',
                    f'Only failed or cancelled tasks can be retried; '
                    f'this one is {task.status}',
                )
            Task.update(
                status='pending',
                attempt=Task.attempt + 1,
                claims=0,
                errors='[]',
                finished_at=None,
                expires_at=None,
                cancel_requested=False,
                updated_at=utcnow(),
                revision=Task.revision + 1,
            ).where(Task.id == task.id).execute()
            TaskJob.update(status='pending', started_at=None, finished_at=None).where(
                (TaskJob.task == task.id)
                & TaskJob.status.not_in(['finished', 'skipped'])
            ).execute()
            task = Task.get_by_id(task.id)
        self.announce()
        return task

    def purge(self) -> int:
        """Delete expired tasks (and their jobs); return how many."""
        expired = Task.select(Task.id).where(Task.expires_at < utcnow())
        with database.atomic():
            TaskJob.delete().where(TaskJob.task.in_(expired)).execute()
            return Task.delete().where(Task.expires_at < utcnow()).execute()


def _error(code: str, message: str, causes: list[str] | None = None) -> dict:
    return {'code': code, 'message': message, 'causes': causes or []}


def _cancel_requested(task_id: str) -> bool:
    return bool(Task.select(Task.cancel_requested).where(Task.id == task_id).scalar())


def _append_log(task_id: str, line: str) -> None:
    task = Task.get_or_none(Task.id == task_id)
    if task is not None:
        text = f'{task.log}\n{line}' if task.log else line
        Task.update(log=text[-65536:]).where(Task.id == task_id).execute()
