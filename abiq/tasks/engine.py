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

from abiq.db.compiled import Compiled
from abiq.db.compiled import CompiledInsert
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

        The returned task carries ``accepted_jobs``: its jobs as committed,
        so the answer that announces it shows the moment it was accepted.

        Args:
            before_commit: called with the new task's id inside the same
                transaction (to take locks); an exception rolls it all back.
        """
        if type_name not in self.types:
            raise KeyError(f'unknown task type {type_name}')
        now = utcnow()
        values = {
            'id': str(uuid.uuid4()),
            'type': type_name,
            'description': description,
            'enterprise': enterprise_id,
            'user': user_id,
            'created_at': now,
            'updated_at': now,
            'params': orjson.dumps(params or {}).decode(),
            'target_kind': target[0] if target else None,
            'target_id': target[1] if target else None,
        }
        with write_transaction():
            if before_commit is not None:
                before_commit(values['id'])
            row = _INSERT_TASK.insert(**values)
            accepted = [
                TaskJob(
                    **_INSERT_JOB.insert(
                        task=values['id'],
                        position=position,
                        type=job.type,
                        description=job.description,
                        params=orjson.dumps(job.params).decode(),
                    )
                )
                for position, job in enumerate(jobs, start=1)
            ]
        self.announce()
        task = Task(**row)
        task.accepted_jobs = accepted
        return task

    # -- claiming ------------------------------------------------------------

    def claim(self, worker_id: str) -> Task | None:
        """Take the oldest runnable task and start its first unfinished job,
        in one transaction. A running task whose lease expired (its worker
        is gone) comes before pending ones.

        Returns:
            The claimed task, or None when there is nothing to do.
        """
        now = utcnow()
        lease = now + dt.timedelta(seconds=self.lease_seconds)
        with write_transaction():
            row = _ABANDONED.first(now=now) or _OLDEST_PENDING.first()
            if row is None:
                return None
            _TAKE.execute(task_id=row.id, worker_id=worker_id, now=now, lease=lease)
            task = _TASK.first(task_id=row.id)
            if task.lease_owner == worker_id and task.claims <= self.max_attempts:
                first = _unfinished(records.jobs_of([task])[task.id])
                if first:
                    _START_JOB.execute(job_id=first[0].id, now=now)
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
        """Run the claimed task's remaining jobs in order, then end it.

        Between two jobs one transaction finishes the first, looks at the
        cancel flag and ``should_stop``, and starts the next (or ends the
        task), so a task of N jobs costs N + 1 write transactions with its
        claim.
        """
        if task.claims > self.max_attempts:
            lost = task.claims - 1
            message = (
                f'The task was interrupted {lost} times (its worker stopped); giving up'
            )
            with write_transaction():
                self._end(task, worker_id, 'failed', [_error('TASK-4', message)])
            self.announce()
            return
        task_type = self.types.get(task.type)
        if task_type is None:
            message = f'No worker here knows how to run {task.type} tasks'
            with write_transaction():
                self._end(task, worker_id, 'failed', [_error('TASK-5', message)])
            self.announce()
            return
        params = orjson.loads(task.params or '{}')
        jobs = records.jobs_of([task])[task.id]
        todo = _unfinished(jobs)
        if not todo:
            self._boundary(task, task_type, params, worker_id, jobs, None, None, bool)
            return
        for number, job in enumerate(todo):
            failure = self._run_job(task, task_type, params, job)
            if failure is not None:
                with write_transaction():
                    if failure is _CANCELLED:
                        self._end(task, worker_id, 'cancelled')
                    elif self._hold(task.id, worker_id, jobs):
                        _END_JOB.execute(job_id=job.id, status='failed', now=utcnow())
                        self._end(task, worker_id, 'failed', [failure])
                self.announce()
                return
            job.status = 'finished'
            following = todo[number + 1] if number + 1 < len(todo) else None
            outcome = self._boundary(
                task, task_type, params, worker_id, jobs, job, following, should_stop
            )
            if outcome != 'go':
                return

    def _run_job(self, task, task_type, params, job) -> dict | None:
        """Run one job; return the task's error when it failed."""
        handler = task_type.handlers.get(job.type)
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
            return _CANCELLED
        except JobError as ex:
            return _error(ex.code, ex.message, ex.causes)
        except Exception as ex:  # a bug in a job must not kill the worker
            log.exception('job %s of task %s failed unexpectedly', job.type, task.id)
            message = f'Job {job.type} failed unexpectedly'
            return _error('TASK-6', message, [type(ex).__name__])
        return None

    def _boundary(
        self, task, task_type, params, worker_id, jobs, done, following, should_stop
    ) -> str:
        """Between jobs: finish ``done``, then cancel, hand back, start
        ``following`` or end the task, all in one transaction.

        Returns:
            ``go`` when ``following`` started, else ``lost``, ``cancelled``,
            ``stopped`` or ``ended``.
        """
        now = utcnow()
        with write_transaction():
            if not self._hold(task.id, worker_id, jobs):
                outcome = 'lost'
            else:
                if done is not None:
                    _END_JOB.execute(job_id=done.id, status='finished', now=now)
                if following is None:
                    result = task_type.result(params) if task_type.result else None
                    self._end(task, worker_id, 'finished', result=result)
                    outcome = 'ended'
                elif _cancel_requested(task.id):
                    self._end(task, worker_id, 'cancelled')
                    outcome = 'cancelled'
                elif should_stop():
                    self._release(task.id, worker_id)
                    outcome = 'stopped'
                else:
                    _START_JOB.execute(job_id=following.id, now=now)
                    outcome = 'go'
        self.announce()
        return outcome

    def _hold(self, task_id: str, worker_id: str, jobs: list[TaskJob]) -> bool:
        """Renew the lease and record progress; False when the lease is lost."""
        now = utcnow()
        done = sum(1 for job in jobs if job.status in ('finished', 'skipped'))
        return bool(
            _HOLD.execute(
                task_id=task_id,
                worker_id=worker_id,
                now=now,
                lease=now + dt.timedelta(seconds=self.lease_seconds),
                progress=int(100 * done / len(jobs)) if jobs else 0,
            )
        )

    def _end(self, task, worker_id, status, errors=None, result=None) -> None:
        """End a task the worker holds (inside the caller's transaction)."""
        now = utcnow()
        held = _END.execute(
            task_id=task.id,
            worker_id=worker_id,
            status=status,
            now=now,
            expires=now + dt.timedelta(seconds=self.retention),
            errors=orjson.dumps(errors).decode() if errors is not None else None,
            progress=100 if status == 'finished' else None,
            result_kind=result[0] if result else None,
            result_id=result[1] if result else None,
        )
        if held and status == 'cancelled':
            _cancel_jobs(task.id, now)
        if held:
            self._ended(task, status)

    def _ended(self, task: Task, status: str) -> None:
        """Run the task type's end hook (inside the ending transaction)."""
        task_type = self.types.get(task.type)
        if task_type is not None and task_type.on_end is not None:
            task_type.on_end(task.id, orjson.loads(task.params or '{}'), status)

    def cancel(self, task: Task) -> bool:
        """Cancel a task; True when cancelled now, False when it will stop at
        its next job boundary (see :func:`abiq.tasks.records.cancel`)."""
        with write_transaction():
            done = records.cancel(task, self.retention)
            if done:
                self._ended(task, 'cancelled')
        self.announce()
        return done

    def release(self, task_id: str, worker_id: str) -> None:
        """Give a task back (the worker is stopping): it is claimable again."""
        with write_transaction():
            self._release(task_id, worker_id)
        self.announce()

    def _release(self, task_id: str, worker_id: str) -> None:
        Task.update(
            status='pending',
            lease_owner=None,
            lease_expires_at=None,
            claims=Task.claims - 1,
            updated_at=utcnow(),
            revision=Task.revision + 1,
        ).where((Task.id == task_id) & (Task.lease_owner == worker_id)).execute()

    # -- retry and purge ------------------------------------------------------

    def retry(self, task: Task) -> Task:
        """Put a failed or cancelled task back to pending, ``attempt`` + 1.

        Finished jobs are kept and not run again. The returned task carries
        ``accepted_jobs``, as :meth:`submit`'s does.

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
            task.accepted_jobs = records.jobs_of([task])[task.id]
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


# NOTE: what _run_job answers for a job that saw the cancel flag: the task
# ends cancelled, not failed.
_CANCELLED: dict = {}


def _unfinished(jobs: list[TaskJob]) -> list[TaskJob]:
    return [job for job in jobs if job.status not in ('finished', 'skipped')]


def _cancel_jobs(task_id: str, now: dt.datetime) -> None:
    TaskJob.update(status='cancelled', finished_at=now).where(
        (TaskJob.task == task_id) & TaskJob.status.in_(['pending', 'running'])
    ).execute()


_SAMPLE_TIME = dt.datetime(1970, 1, 2, 3, 4, 5, 6)
_LATER_SAMPLE = dt.datetime(1970, 1, 3, 4, 5, 6, 7)
_INSERT_TASK = CompiledInsert(Task)
_INSERT_JOB = CompiledInsert(TaskJob)
_TASK = Compiled(
    lambda task_id: Task.select().where(Task.id == task_id), task_id='<id>'
)


def _claimable() -> peewee.Expression:
    return Task.external == False  # noqa: E712 - a SQL expression


def _for_update(query: peewee.ModelSelect) -> peewee.ModelSelect:
    if isinstance(database.obj, peewee.SqliteDatabase):
        return query  # the whole database is locked for the transaction
    # NOTE: SKIP LOCKED lets concurrent workers each take a different task
    # instead of queueing on the same row.
    return query.for_update(skip_locked=True)


# NOTE: each of the two claim queries is one seek on an index that starts
# with (external, status), whatever the number of finished tasks.
_OLDEST_PENDING = Compiled(
    lambda: _for_update(
        Task.select(Task.id)
        .where(_claimable() & (Task.status == 'pending'))
        .order_by(Task.created_at, Task.id)
        .limit(1)
    )
)
_ABANDONED = Compiled(
    lambda now: _for_update(
        Task.select(Task.id)
        .where(
            _claimable() & (Task.status == 'running') & (Task.lease_expires_at < now)
        )
        .order_by(Task.created_at, Task.id)
        .limit(1)
    ),
    now=_SAMPLE_TIME,
)
_TAKE = Compiled(
    lambda task_id, worker_id, now, lease: Task.update(
        status='running',
        lease_owner=worker_id,
        lease_expires_at=lease,
        claims=Task.claims + 1,
        started_at=peewee.fn.COALESCE(Task.started_at, now),
        updated_at=now,
        revision=Task.revision + 1,
    ).where(
        (Task.id == task_id)
        & _claimable()
        & (
            (Task.status == 'pending')
            | ((Task.status == 'running') & (Task.lease_expires_at < now))
        )
    ),
    task_id='<task id>',
    worker_id='<worker id>',
    now=_SAMPLE_TIME,
    lease=_LATER_SAMPLE,
)


# NOTE: one statement for every way a task ends; a None keeps the column.
def _end_statement(
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
    ).where((Task.id == task_id) & (Task.lease_owner == worker_id))


_END = Compiled(
    _end_statement,
    task_id='<task id>',
    worker_id='<worker id>',
    status='<status>',
    now=_SAMPLE_TIME,
    expires=_LATER_SAMPLE,
    errors='<errors>',
    progress=-987654321,
    result_kind='<result kind>',
    result_id='<result id>',
)
_HOLD = Compiled(
    lambda task_id, worker_id, now, lease, progress: Task.update(
        updated_at=now,
        lease_expires_at=lease,
        progress=progress,
        revision=Task.revision + 1,
    ).where((Task.id == task_id) & (Task.lease_owner == worker_id)),
    task_id='<task id>',
    worker_id='<worker id>',
    now=_SAMPLE_TIME,
    lease=_LATER_SAMPLE,
    progress=-987654321,
)
_START_JOB = Compiled(
    lambda job_id, now: TaskJob.update(
        status='running', started_at=now, finished_at=None, runs=TaskJob.runs + 1
    ).where(TaskJob.id == job_id),
    job_id=-987654321,
    now=_SAMPLE_TIME,
)
_END_JOB = Compiled(
    lambda job_id, status, now: TaskJob.update(status=status, finished_at=now).where(
        TaskJob.id == job_id
    ),
    job_id=-987654321,
    status='<status>',
    now=_SAMPLE_TIME,
)


def _cancel_requested(task_id: str) -> bool:
    return bool(Task.select(Task.cancel_requested).where(Task.id == task_id).scalar())


def _append_log(task_id: str, line: str) -> None:
    task = Task.get_or_none(Task.id == task_id)
    if task is not None:
        text = f'{task.log}\n{line}' if task.log else line
        Task.update(log=text[-65536:]).where(Task.id == task_id).execute()
