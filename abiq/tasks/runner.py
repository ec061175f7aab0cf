"""Running a claimed task: its jobs in order, one transaction between two.

The :class:`abiq.tasks.engine.Engine` claims; a :class:`Runner` runs what
was claimed, through the engine's store. Every write is conditional on the
worker still holding the task's lease, so a worker that lost it (it was too
slow, another worker took the task over) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import orjson

from abiq.tasks.claimed import CANCELLED
from abiq.tasks.claimed import Claimed
from abiq.tasks.claimed import Outcome
from abiq.tasks.claimed import Timing
from abiq.tasks.claimed import error
from abiq.tasks.registry import Cancelled
from abiq.tasks.registry import JobContext
from abiq.tasks.registry import JobError
from abiq.tasks.registry import TaskType
from abiq.tasks.store import Ending
from abiq.tasks.store import TaskStore
from abiq.tasks.store import unfinished
from abiq.timestamps import utcnow

__all__ = ['Runner']

log = logging.getLogger('abiq.engine')


class Runner:
    """Runs claimed tasks through a store.

    Args:
        store: where tasks are kept.
        types: task type name -> type (shared with the engine).
        timing: leases, retention and attempts.
        announce: tells every waiter that a task changed.
    """

    def __init__(
        self,
        store: TaskStore,
        types: dict[str, TaskType],
        timing: Timing,
        announce: Callable[[], None],
    ) -> None:
        self.store, self.types, self.timing = store, types, timing
        self.announce = announce

    def claim(self, worker_id: str) -> Any:
        """Take the oldest runnable task for ``worker_id`` and start its
        first unfinished job (inside the caller's transaction).

        Returns:
            The task, carrying ``claimed_jobs`` (its jobs, as they are now),
            or None when there is nothing to do.
        """
        now = utcnow()
        task = self.store.claim(
            worker_id, now, self._lease(now), self.timing.max_attempts
        )
        return _taken(task, worker_id)

    def _lease(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.timing.lease_seconds)

    def run(
        self,
        task: Any,
        worker_id: str,
        should_stop: Callable[[], bool],
        chain: bool = False,
    ) -> Any:
        """Run the claimed task's remaining jobs in order, then end it.

        Returns:
            With ``chain``, the next task, claimed in the transaction that
            ended this one (None: nothing to do, or the worker stops).
        """
        refusal = self._refusal(task)
        if refusal is not None:
            return self._give_up(task, worker_id, refusal, chain)
        task_type = self.types[task.type]
        params = orjson.loads(task.params or '{}')
        jobs = getattr(task, 'claimed_jobs', None)
        if jobs is None:
            jobs = self.store.jobs_of([task])[task.id]
        run = Claimed(task, task_type, params, worker_id, jobs, should_stop, chain)
        todo = unfinished(jobs)
        if not todo:
            self._boundary(run, None, None)
            return run.successor
        for number, job in enumerate(todo):
            failure = self._run_job(run, job)
            if failure is not None:
                self._failed(run, job, failure)
                return run.successor
            job.status = 'finished'
            following = todo[number + 1] if number + 1 < len(todo) else None
            if self._boundary(run, job, following) is not Outcome.GO:
                return run.successor
        return run.successor

    def _refusal(self, task: Any) -> dict | None:
        """Return why a claimed task cannot run here, or None."""
        if task.claims > self.timing.max_attempts:
            lost = task.claims - 1
            message = (
                f'The task was interrupted {lost} times (its worker stopped); giving up'
            )
            return error('TASK-4', message)
        if task.type not in self.types:
            message = f'No worker here knows how to run {task.type} tasks'
            return error('TASK-5', message)
        return None

    def _give_up(self, task: Any, worker_id: str, failure: dict, chain: bool) -> Any:
        with self.store.transaction():
            self.end(task, worker_id, 'failed', [failure])
            successor = self.claim(worker_id) if chain else None
        self.announce()
        return successor

    def _failed(self, run: Claimed, job: Any, failure: dict) -> None:
        """End the task after a job failed (or saw the cancel flag)."""
        with self.store.transaction():
            if failure is CANCELLED:
                self.end(run.task, run.worker_id, 'cancelled')
            elif self._hold(run):
                self.store.end_job(job.id, 'failed', utcnow())
                self.end(run.task, run.worker_id, 'failed', [failure])
            self._chain(run)
        self.announce()

    def _chain(self, run: Claimed) -> None:
        """Claim the worker's next task in the transaction that ends this
        one: one commit per task instead of two, and no idle worker left to
        wake. Not when the worker is stopping."""
        if run.chain and not run.should_stop():
            run.successor = self.claim(run.worker_id)

    def _run_job(self, run: Claimed, job: Any) -> dict | None:
        """Run one job; return the task's error when it failed."""
        handler = run.task_type.handlers.get(job.type)
        task_id = run.task.id
        context = JobContext(
            task_id=task_id,
            attempt=run.task.attempt,
            task_params=run.params,
            params=orjson.loads(job.params or '{}'),
            position=job.position,
            cancelled=lambda: self.store.cancel_requested(task_id),
            log=lambda line: self.store.append_log(task_id, line, utcnow()),
        )
        try:
            if handler is None:
                raise JobError('TASK-5', f'No handler for job {job.type}')
            handler(context)
        except Cancelled:
            return CANCELLED
        except JobError as ex:
            return error(ex.code, ex.message, ex.causes)
        except Exception as ex:  # a bug in a job must not kill the worker
            log.exception('job %s of task %s failed unexpectedly', job.type, task_id)
            message = f'Job {job.type} failed unexpectedly'
            return error('TASK-6', message, [type(ex).__name__])
        return None

    def _boundary(self, run: Claimed, done: Any, following: Any) -> Outcome:
        """Between jobs: finish ``done``, then cancel, hand back, start
        ``following`` or end the task, all in one transaction."""
        if following is None and self._steps_on(run):
            return self._end_and_claim(run, done)
        with self.store.transaction():
            outcome = self._between(run, done, following)
            if outcome is not Outcome.GO and outcome is not Outcome.STOPPED:
                self._chain(run)
        self.announce()
        return outcome

    @staticmethod
    def _steps_on(run: Claimed) -> bool:
        # NOTE: with no end hook to run in between, the end and the next
        # claim are one call of the store: one statement on PostgreSQL, a
        # transaction of its own, so one round trip where BEGIN, the end,
        # the claim and COMMIT were four (docs/performance.rst).
        return run.chain and run.task_type.on_end is None and not run.should_stop()

    def _end_and_claim(self, run: Claimed, done: Any) -> Outcome:
        ending = self._ending('finished', **self._finish(run, done))
        task = self.store.end_and_claim(
            run.task.id,
            run.worker_id,
            ending,
            self._lease(ending.now),
            self.timing.max_attempts,
        )
        run.successor = _taken(task, run.worker_id)
        self.announce()
        # NOTE: ENDED even if the lease was lost: after the last job nothing
        # tells the two apart (no hook runs, the successor is claimed).
        return Outcome.ENDED

    @staticmethod
    def _finish(run: Claimed, done: Any) -> dict[str, Any]:
        """Return how the task ends after its last job, ``done``."""
        result_of = run.task_type.result
        return {
            'result': result_of(run.params) if result_of else None,
            'finished_job': done.id if done is not None else None,
        }

    def _between(self, run: Claimed, done: Any, following: Any) -> Outcome:
        now = utcnow()
        if following is None:
            # NOTE: the end is conditional on the lease itself: no renewal
            # before it (one statement less per task).
            finish = self._finish(run, done)
            if not self.end(run.task, run.worker_id, 'finished', **finish):
                return Outcome.LOST
            return Outcome.ENDED
        if not self._hold(run):
            return Outcome.LOST
        if done is not None:
            self.store.end_job(done.id, 'finished', now)
        if self.store.cancel_requested(run.task.id):
            self.end(run.task, run.worker_id, 'cancelled')
            return Outcome.CANCELLED
        if run.should_stop():
            self.store.release(run.task.id, run.worker_id, now)
            return Outcome.STOPPED
        self.store.start_job(following.id, now)
        return Outcome.GO

    def _hold(self, run: Claimed) -> bool:
        """Renew the lease and record progress; False when the lease is lost."""
        now = utcnow()
        jobs = run.jobs
        done = sum(1 for job in jobs if job.status in ('finished', 'skipped'))
        return self.store.hold(
            run.task.id,
            run.worker_id,
            now,
            self._lease(now),
            int(100 * done / len(jobs)) if jobs else 0,
        )

    def end(
        self,
        task: Any,
        worker_id: str,
        status: str,
        errors: list[dict] | None = None,
        result: tuple[str, str] | None = None,
        finished_job: Any = None,
    ) -> bool:
        """End a task the worker holds (inside the caller's transaction),
        and ``finished_job`` (its last) with it; return False when it no
        longer holds it."""
        ending = self._ending(status, errors, result, finished_job)
        if not self.store.end_task(task.id, worker_id, ending):
            return False
        self.ended(task, status)
        return True

    def _ending(
        self,
        status: str,
        errors: list[dict] | None = None,
        result: tuple[str, str] | None = None,
        finished_job: Any = None,
    ) -> Ending:
        now = utcnow()
        return Ending(
            status=status,
            now=now,
            expires=now + dt.timedelta(seconds=self.timing.retention),
            errors=orjson.dumps(errors).decode() if errors is not None else None,
            progress=100 if status == 'finished' else None,
            result=result,
            finished_job=finished_job,
        )

    def ended(self, task: Any, status: str) -> None:
        """Run the task type's end hook (inside the ending transaction)."""
        task_type = self.types.get(task.type)
        if task_type is not None and task_type.on_end is not None:
            task_type.on_end(task.id, orjson.loads(task.params or '{}'), status)


def _taken(task: Any, worker_id: str) -> Any:
    """Return a task the store claimed for ``worker_id``, else None."""
    return task if task is not None and task.lease_owner == worker_id else None
