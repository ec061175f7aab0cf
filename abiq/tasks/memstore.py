"""A task store in memory: the engine's contract without a database.

:class:`MemoryStore` keeps the rows the SQL store would keep, with the same
attribute names, so engine tests run in milliseconds with no database and
no server. One lock stands for a write transaction; rows handed out are
copies, as rows read from a database are.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from abiq.tasks.store import Ending
from abiq.tasks.store import end_then_claim
from abiq.tasks.store import start_first
from abiq.timestamps import utcnow

__all__ = ['MemoryJob', 'MemoryStore', 'MemoryTask']

LOG_LIMIT = 65536


@dataclass
class MemoryTask:
    """A task row, with the columns of the task table."""

    id: str
    type: str
    enterprise_id: int
    user_id: int | None = None
    description: str = ''
    status: str = 'pending'
    progress: int = 0
    attempt: int = 1
    created_at: dt.datetime = field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    updated_at: dt.datetime = field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    target_kind: str | None = None
    target_id: str | None = None
    result_kind: str | None = None
    result_id: str | None = None
    external: bool = False
    log: str = ''
    errors: str = '[]'
    cancel_requested: bool = False
    revision: int = 1
    params: str = '{}'
    lease_owner: str | None = None
    lease_expires_at: dt.datetime | None = None
    claims: int = 0
    accepted_jobs: list[Any] = field(default_factory=list)
    claimed_jobs: list[Any] = field(default_factory=list)


@dataclass
class MemoryJob:
    """A job row, with the columns of the job table."""

    id: int
    task_id: str
    position: int
    type: str
    description: str = ''
    status: str = 'pending'
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    params: str = '{}'
    runs: int = 0


def _renamed(values: dict[str, Any]) -> dict[str, Any]:
    """Return row values by attribute name (``enterprise`` -> ``enterprise_id``)."""
    names = {'enterprise': 'enterprise_id', 'user': 'user_id', 'task': 'task_id'}
    return {names.get(name, name): value for name, value in values.items()}


class MemoryStore:
    """Tasks and jobs in dictionaries, behind one lock."""

    def __init__(self) -> None:
        self.tasks: dict[str, MemoryTask] = {}
        self.jobs: dict[int, MemoryJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    def transaction(self) -> AbstractContextManager[Any]:
        """Return the store's lock (writes of other threads wait)."""
        return self._lock

    def insert(self, task: dict[str, Any], jobs: list[dict[str, Any]]) -> Any:
        """Insert a task and its jobs; the row carries ``accepted_jobs``."""
        with self._lock:
            row = MemoryTask(**_renamed(task))
            self.tasks[row.id] = row
            for values in jobs:
                job = MemoryJob(next(self._ids), row.id, **_renamed(values))
                self.jobs[job.id] = job
            made = copy.copy(row)
            made.accepted_jobs = self.jobs_of([row])[row.id]
            return made

    def claim(
        self, worker_id: str, now: dt.datetime, lease: dt.datetime, max_claims: int
    ) -> Any:
        """Take the oldest abandoned, else oldest pending, task; start its
        first unfinished job."""
        with self._lock:
            ready = sorted(
                (task for task in self.tasks.values() if not task.external),
                key=lambda task: (task.created_at, task.id),
            )
            abandoned = [
                task
                for task in ready
                if task.status == 'running' and task.lease_expires_at < now
            ]
            pending = [task for task in ready if task.status == 'pending']
            found = (abandoned or pending or [None])[0]
            if found is None:
                return None
            found.status, found.lease_owner = 'running', worker_id
            found.lease_expires_at, found.claims = lease, found.claims + 1
            found.started_at = found.started_at or now
            self._touch(found, now)
            made = copy.copy(found)
            made.claimed_jobs = self.jobs_of([found])[found.id]
            started = start_first(made, made.claimed_jobs, now, max_claims)
            if started is not None:
                self.start_job(started.id, now)
            return made

    def task(self, task_id: str) -> Any:
        """Return a task's row, or None."""
        found = self.tasks.get(task_id)
        return copy.copy(found) if found is not None else None

    def locked(self, task_id: str) -> Any:
        """Return a task's row (the caller holds the lock)."""
        return self.task(task_id)

    def _held(self, task_id: str, worker_id: str) -> MemoryTask | None:
        task = self.tasks.get(task_id)
        return task if task is not None and task.lease_owner == worker_id else None

    @staticmethod
    def _touch(task: MemoryTask, now: dt.datetime) -> None:
        task.updated_at, task.revision = now, task.revision + 1

    def renew(self, task_id: str, worker_id: str, lease: dt.datetime) -> bool:
        """Extend the lease; False when the worker does not hold it."""
        with self._lock:
            task = self._held(task_id, worker_id)
            if task is not None:
                task.lease_expires_at = lease
            return task is not None

    def hold(self, task_id, worker_id, now, lease, progress) -> bool:  # noqa: ANN001
        """Renew the lease and record progress; False when not held."""
        with self._lock:
            task = self._held(task_id, worker_id)
            if task is not None:
                task.lease_expires_at, task.progress = lease, progress
                self._touch(task, now)
            return task is not None

    def start_job(self, job_id: Any, now: dt.datetime) -> None:
        """Mark a job running (one more run)."""
        job = self.jobs[job_id]
        job.status, job.started_at, job.finished_at = 'running', now, None
        job.runs += 1

    def end_job(self, job_id: Any, status: str, now: dt.datetime) -> None:
        """Mark a job finished or failed."""
        job = self.jobs[job_id]
        job.status, job.finished_at = status, now

    def end_task(self, task_id: str, worker_id: str, ending: Ending) -> bool:
        """End a held task; a cancelled one's unfinished jobs with it."""
        with self._lock:
            task = self._held(task_id, worker_id)
            if task is None:
                return False
            task.status, task.finished_at = ending.status, ending.now
            task.expires_at, task.cancel_requested = ending.expires, False
            task.lease_owner = task.lease_expires_at = None
            task.errors = ending.errors if ending.errors is not None else task.errors
            if ending.progress is not None:
                task.progress = ending.progress
            if ending.result is not None:
                task.result_kind, task.result_id = ending.result
            self._touch(task, ending.now)
            if ending.status == 'cancelled':
                self._cancel_jobs(task_id, ending.now)
            if ending.finished_job is not None:
                self.end_job(ending.finished_job, 'finished', ending.now)
            return True

    def end_and_claim(
        self,
        task_id: str,
        worker_id: str,
        ending: Ending,
        lease: dt.datetime,
        max_claims: int,
    ) -> Any:
        """End a held task, then claim the next, under the lock."""
        return end_then_claim(self, task_id, worker_id, ending, lease, max_claims)

    def release(self, task_id: str, worker_id: str, now: dt.datetime) -> None:
        """Give a held task back: pending again, this claim not counted."""
        with self._lock:
            task = self._held(task_id, worker_id)
            if task is not None:
                task.status, task.claims = 'pending', task.claims - 1
                task.lease_owner = task.lease_expires_at = None
                self._touch(task, now)

    def request_cancel(self, task_id: str, now: dt.datetime) -> None:
        """Set the cancel flag a running task's worker looks at."""
        task = self.tasks[task_id]
        task.cancel_requested = True
        self._touch(task, now)

    def cancel_now(self, task_id: str, now: dt.datetime, expires: dt.datetime) -> None:
        """Cancel a task that no worker runs, and its unfinished jobs."""
        task = self.tasks[task_id]
        task.status, task.finished_at, task.expires_at = 'cancelled', now, expires
        self._touch(task, now)
        self._cancel_jobs(task_id, now)

    def _cancel_jobs(self, task_id: str, now: dt.datetime) -> None:
        for job in self.jobs.values():
            if job.task_id == task_id and job.status in ('pending', 'running'):
                job.status, job.finished_at = 'cancelled', now

    def cancel_requested(self, task_id: str) -> bool:
        """Tell whether someone asked the task to stop."""
        task = self.tasks.get(task_id)
        return bool(task and task.cancel_requested)

    def append_log(self, task_id: str, line: str, now: dt.datetime) -> None:
        """Append a line to the task's log (its last 64 KiB are kept)."""
        with self._lock:
            task = self.tasks.get(task_id)
            if task is not None:
                text = f'{task.log}\n{line}' if task.log else line
                task.log = text[-LOG_LIMIT:]
                self._touch(task, now)

    def reset_for_retry(self, task_id: str, now: dt.datetime) -> None:
        """Put an ended task back to pending, next attempt."""
        task = self.tasks[task_id]
        task.status, task.attempt, task.claims = 'pending', task.attempt + 1, 0
        task.errors, task.cancel_requested = '[]', False
        task.finished_at = task.expires_at = None
        self._touch(task, now)
        for job in self.jobs.values():
            if job.task_id == task_id and job.status not in ('finished', 'skipped'):
                job.status, job.started_at, job.finished_at = 'pending', None, None

    def jobs_of(self, tasks: list[Any]) -> dict[str, list[Any]]:
        """Return the job rows of several tasks, in order, by task id."""
        found: dict[str, list[Any]] = {task.id: [] for task in tasks}
        for job in sorted(self.jobs.values(), key=lambda job: job.position):
            if job.task_id in found:
                found[job.task_id].append(copy.copy(job))
        return found

    def purge(self, now: dt.datetime) -> int:
        """Delete the tasks (and jobs) expired at ``now``; return how many."""
        with self._lock:
            expired = {
                task.id
                for task in self.tasks.values()
                if task.expires_at is not None and task.expires_at < now
            }
            for job_id in [j.id for j in self.jobs.values() if j.task_id in expired]:
                del self.jobs[job_id]
            for task_id in expired:
                del self.tasks[task_id]
            return len(expired)

    def revision(self, task_id: str) -> int | None:
        """Return a task's revision (None: it does not exist)."""
        task = self.tasks.get(task_id)
        return task.revision if task is not None else None
