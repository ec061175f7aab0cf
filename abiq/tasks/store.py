"""The storage contract of the task engine: what it reads and writes.

The engine (:mod:`abiq.tasks.engine`) decides; a store keeps the rows. Two
stores implement :class:`TaskStore`: :class:`abiq.tasks.sqlstore.SqlStore`
over the shared database (every compiled task statement lives there), and
:class:`abiq.tasks.memstore.MemoryStore`, in memory, for fast engine tests.

Rows a store returns read like the task and job models (``task.status``,
``task.lease_owner``, ``job.position``...); the engine may change their
attributes freely, a store never sees that.

Every write that a worker makes is conditional on the worker still holding
the task's lease (``lease_owner``): each such method says whether it held.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any
from typing import Protocol

__all__ = ['Ending', 'TaskStore', 'end_then_claim', 'start_first', 'unfinished']


@dataclass(frozen=True)
class Ending:
    """How a held task ends; a None keeps the stored value.

    Attributes:
        status: ``finished``, ``failed`` or ``cancelled``.
        now: the moment it ends.
        expires: when it stops being readable.
        errors: the task's errors, as stored (JSON text).
        progress: the final progress.
        result: the (kind, id) of the entity it produced.
        finished_job: the id of the job that finished with the task (its
            last), marked finished at ``now`` if the task was held.
    """

    status: str
    now: dt.datetime
    expires: dt.datetime
    errors: str | None = None
    progress: int | None = None
    result: tuple[str, str] | None = None
    finished_job: Any = None


class TaskStore(Protocol):
    """The rows of tasks and their jobs, as the engine needs them."""

    def transaction(self) -> AbstractContextManager[Any]:
        """Return a write transaction (the caller's other writes join it)."""

    def insert(self, task: dict[str, Any], jobs: list[dict[str, Any]]) -> Any:
        """Insert a task and its jobs (by field name); return the task row,
        carrying ``accepted_jobs``: its job rows as inserted."""

    def claim(
        self, worker_id: str, now: dt.datetime, lease: dt.datetime, max_claims: int
    ) -> Any:
        """Take the oldest abandoned task (lease expired), else the oldest
        pending one, for ``worker_id``, and start its first unfinished job
        unless the task is now claimed more than ``max_claims`` times (see
        :func:`start_first`). Return its row as taken, carrying
        ``claimed_jobs`` (its jobs, the started one as started), or None."""

    def end_and_claim(
        self,
        task_id: str,
        worker_id: str,
        ending: Ending,
        lease: dt.datetime,
        max_claims: int,
    ) -> Any:
        """:meth:`end_task`, then :meth:`claim` another task (at
        ``ending.now``), as one transaction of their own; return what the
        claim returns. Whether the end held is not told."""

    def task(self, task_id: str) -> Any:
        """Return a task's row, or None."""

    def locked(self, task_id: str) -> Any:
        """Return a task's row, locked until the transaction ends."""

    def renew(self, task_id: str, worker_id: str, lease: dt.datetime) -> bool:
        """Extend the lease; False when the worker does not hold it."""

    def hold(
        self,
        task_id: str,
        worker_id: str,
        now: dt.datetime,
        lease: dt.datetime,
        progress: int,
    ) -> bool:
        """Renew the lease and record progress; False when not held."""

    def start_job(self, job_id: Any, now: dt.datetime) -> None:
        """Mark a job running (one more run)."""

    def end_job(self, job_id: Any, status: str, now: dt.datetime) -> None:
        """Mark a job finished or failed."""

    def end_task(self, task_id: str, worker_id: str, ending: Ending) -> bool:
        """End a held task (its lease goes), and its ``finished_job``;
        False when not held. A cancelled task's unfinished jobs are
        cancelled with it."""

    def release(self, task_id: str, worker_id: str, now: dt.datetime) -> None:
        """Give a held task back: pending again, this claim not counted."""

    def request_cancel(self, task_id: str, now: dt.datetime) -> None:
        """Set the cancel flag a running task's worker looks at."""

    def cancel_now(self, task_id: str, now: dt.datetime, expires: dt.datetime) -> None:
        """Cancel a task that no worker runs, and its unfinished jobs."""

    def cancel_requested(self, task_id: str) -> bool:
        """Tell whether someone asked the task to stop."""

    def append_log(self, task_id: str, line: str, now: dt.datetime) -> None:
        """Append a line to the task's log (its last 64 KiB are kept): a
        change of the task (a new revision, ``updated_at`` now)."""

    def reset_for_retry(self, task_id: str, now: dt.datetime) -> None:
        """Put an ended task back to pending, next attempt; finished jobs
        stay finished."""

    def jobs_of(self, tasks: list[Any]) -> dict[str, list[Any]]:
        """Return the job rows of several tasks, in order, by task id."""

    def purge(self, now: dt.datetime) -> int:
        """Delete the tasks (and jobs) expired at ``now``; return how many."""

    def revision(self, task_id: str) -> int | None:
        """Return a task's revision (None: it does not exist)."""


def unfinished(jobs: list[Any]) -> list[Any]:
    """Return the jobs still to run (neither finished nor skipped)."""
    return [job for job in jobs if job.status not in ('finished', 'skipped')]


def start_first(task: Any, jobs: list[Any], now: dt.datetime, max_claims: int) -> Any:
    """Mark the job a claim starts as started, in ``jobs``; return it.

    That is the task's first unfinished job, and None when there is none or
    the task is claimed more than ``max_claims`` times (its run fails at
    once, so nothing starts). A store writes the same start to its rows.
    """
    todo = unfinished(jobs)
    if not todo or task.claims > max_claims:
        return None
    first = todo[0]
    first.status, first.runs = 'running', first.runs + 1
    first.started_at, first.finished_at = now, None
    return first


def end_then_claim(
    store: TaskStore,
    task_id: str,
    worker_id: str,
    ending: Ending,
    lease: dt.datetime,
    max_claims: int,
) -> Any:
    """:meth:`TaskStore.end_and_claim` as two calls in one transaction of
    ``store``'s (for a store that has no single statement for it)."""
    with store.transaction():
        store.end_task(task_id, worker_id, ending)
        return store.claim(worker_id, ending.now, lease, max_claims)
