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

The engine decides; its store (:class:`abiq.tasks.store.TaskStore`) keeps the
rows, its notifier tells other processes, and :mod:`abiq.wiring` builds it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from abiq.tasks import rules
from abiq.tasks.claimed import Timing
from abiq.tasks.notify import Changes
from abiq.tasks.registry import JobSpec
from abiq.tasks.registry import TaskType
from abiq.tasks.runner import Runner
from abiq.tasks.store import TaskStore
from abiq.timestamps import utcnow

__all__ = ['Engine']


class Engine:
    """Runs server-side tasks over a store.

    Args:
        store: where tasks and jobs are kept.
        notifier: tells every other process that a task changed (a no-op
            where there are none to tell).
        driver: the hypervisor domain jobs use (read by the CLI and tests).
        retention: seconds a terminal task stays readable.
        lease_seconds: how long a claim lasts without renewal.
        max_attempts: claims of one attempt before the task fails.
        changes: in-process change notifications.
        types: the task types it runs (more with :meth:`register`).
    """

    def __init__(
        self,
        store: TaskStore,
        notifier: Callable[[], None],
        driver: Any = None,
        *,
        retention: int,
        lease_seconds: float,
        max_attempts: int,
        changes: Changes | None = None,
        types: tuple[TaskType, ...] = (),
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.driver = driver
        self.retention = retention
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.changes = changes or Changes()
        self.types: dict[str, TaskType] = {}
        for task_type in types:
            self.register(task_type)
        timing = Timing(retention, lease_seconds, max_attempts)
        self._runner = Runner(store, self.types, timing, self.announce)

    def announce(self) -> None:
        """Tell every waiter, in this process and all others, that a task
        changed."""
        self.notifier()
        self.changes.notify()

    def register(self, task_type: TaskType) -> None:
        """Make a task type runnable."""
        self.types[task_type.name] = task_type

    def _lease(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.lease_seconds)

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
    ) -> Any:
        """Create a pending task and its jobs, committed when this returns.

        The returned task carries ``accepted_jobs``: its jobs as committed,
        so the answer that announces it shows the moment it was accepted.

        Args:
            before_commit: called with the new task's id inside the same
                transaction (to take locks); an exception rolls it all back.
        """
        if type_name not in self.types:
            raise KeyError(f'unknown task type {type_name}')
        values = _task_row(type_name, description, params, target)
        values.update(enterprise=enterprise_id, user=user_id)
        with self.store.transaction():
            if before_commit is not None:
                # NOTE: it may still plan ``jobs`` (what its locks found).
                before_commit(values['id'])
            task = self.store.insert(values, _job_rows(jobs))
        self.announce()
        return task

    # -- claiming and running -------------------------------------------------

    def claim(self, worker_id: str) -> Any:
        """Take the oldest runnable task and start its first unfinished job,
        in one transaction. A running task whose lease expired (its worker
        is gone) comes before pending ones.

        Returns:
            The claimed task, or None when there is nothing to do.
        """
        with self.store.transaction():
            task = self._runner.claim(worker_id)
        if task is not None:
            self.announce()
        return task

    def renew(self, worker_id: str, task_id: str) -> bool:
        """Extend a lease; False when the worker no longer holds it."""
        return self.store.renew(task_id, worker_id, self._lease(utcnow()))

    def run(
        self, task: Any, worker_id: str, should_stop: Callable[[], bool] = bool
    ) -> None:
        """Run the claimed task's remaining jobs in order, then end it.

        Between two jobs one transaction finishes the first, looks at the
        cancel flag and ``should_stop``, and starts the next (or ends the
        task), so a task of N jobs costs N + 1 write transactions with its
        claim.
        """
        self._runner.run(task, worker_id, should_stop)

    def run_then_claim(
        self, task: Any, worker_id: str, should_stop: Callable[[], bool] = bool
    ) -> Any:
        """Run the claimed task as :meth:`run` does; the transaction that
        ends it also claims the worker's next task, as :meth:`claim` does.

        Returns:
            The next claimed task (the caller must run it), or None when
            there is nothing to do or ``should_stop`` says so.
        """
        return self._runner.run(task, worker_id, should_stop, chain=True)

    def release(self, task_id: str, worker_id: str) -> None:
        """Give a task back (the worker is stopping): it is claimable again."""
        with self.store.transaction():
            self.store.release(task_id, worker_id, utcnow())
        self.announce()

    # -- cancel, retry and purge ---------------------------------------------

    def cancel(self, task: Any) -> bool:
        """Cancel a task; return True when it is cancelled now.

        A pending or external task is cancelled at once. A running server task
        is asked to stop at its next job boundary (False: the cancel is
        pending).

        Raises:
            TaskEnded: the task has already ended.
        """
        now = utcnow()
        with self.store.transaction():
            current = self.store.locked(task.id)
            rules.check_cancel(current)
            done = current.status != 'running' or current.external
            if done:
                expires = now + dt.timedelta(seconds=self.retention)
                self.store.cancel_now(task.id, now, expires)
                self._runner.ended(task, 'cancelled')
            else:
                self.store.request_cancel(task.id, now)
        self.announce()
        return done

    def retry(self, task: Any) -> Any:
        """Put a failed or cancelled task back to pending, ``attempt`` + 1.

        Finished jobs are kept and not run again. The returned task carries
        ``accepted_jobs``, as :meth:`submit`'s does.

        Raises:
            NotRetryable: for any other status, or an external task.
        """
        with self.store.transaction():
            rules.check_retry(self.store.locked(task.id))
            self.store.reset_for_retry(task.id, utcnow())
            task = self.store.task(task.id)
            task.accepted_jobs = self.store.jobs_of([task])[task.id]
        self.announce()
        return task

    def purge(self) -> int:
        """Delete expired tasks (and their jobs); return how many."""
        return self.store.purge(utcnow())


def _task_row(
    type_name: str,
    description: str,
    params: dict[str, Any] | None,
    target: tuple[str, str] | None,
) -> dict[str, Any]:
    now = utcnow()
    return {
        'id': str(uuid.uuid4()),
        'type': type_name,
        'description': description,
        'created_at': now,
        'updated_at': now,
        'params': orjson.dumps(params or {}).decode(),
        'target_kind': target[0] if target else None,
        'target_id': target[1] if target else None,
    }


def _job_rows(jobs: list[JobSpec]) -> list[dict[str, Any]]:
    return [
        {
            'position': position,
            'type': job.type,
            'description': job.description,
            'params': orjson.dumps(job.params).decode(),
        }
        for position, job in enumerate(jobs, start=1)
    ]
