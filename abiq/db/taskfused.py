"""The task engine's hot writes fused into fewer statements, on PostgreSQL.

A worker's SLEEP(0) task cost five statements and a commit: the claim, the
read of its jobs, the start of its first job, then the end of the task and
of its last job. Each statement is a round trip, and an executor started
and stopped on both sides; prepared, they cost PostgreSQL 47-107 us each
(docs/performance.rst). PostgreSQL runs writes inside ``WITH`` (data-
modifying common table expressions), so here the claim, the read and the
start are one statement, and the two ends another.

SQLite has no writes inside ``WITH``; there the store runs the separate
statements of :mod:`abiq.db.taskstatements`, which cost microseconds in
process. Both ways leave the same rows (``tests/test_task_store.py``).
"""

from __future__ import annotations

from typing import Any

import peewee

from abiq.db.compiled import Compiled
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import database
from abiq.db.taskclaim import ONE
from abiq.db.taskclaim import claim
from abiq.db.taskstatements import DONE
from abiq.db.taskstatements import END
from abiq.db.taskstatements import END_JOB
from abiq.db.taskstatements import START_JOB

__all__ = ['CLAIM_STARTING', 'END_CLAIMING', 'END_FINISHING', 'applies']


def applies() -> bool:
    """Tell whether the bound database runs these statements (PostgreSQL)."""
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def _claim_starting(
    worker_id: Any,
    now: Any,
    lease: Any,
    max_claims: Any,
    ended: Any = None,
    ahead: tuple[Any, ...] = (),
) -> Any:
    # NOTE: the claim's WITH query is named as the table: the select below
    # reads the claimed row through Task's own columns (so as Task records),
    # while inside that WITH query "task" is still the table (a query of a
    # non-recursive WITH does not see its own name, nor those after it).
    # NOTE: not the task this statement ends (even when its lease ran out:
    # one statement must not write a row twice).
    claimed = claim(worker_id, now, lease, besides=ended).cte('task')
    first = (
        TaskJob.select(TaskJob.id)
        .join(Task, on=(TaskJob.task == Task.id))
        .where(TaskJob.status.not_in(DONE) & (Task.claims <= max_claims))
        .order_by(TaskJob.position)
        .limit(ONE)
    )
    started = START_JOB.build(job_id=first, now=now).cte('started')
    # NOTE: every part of one statement sees the rows as they were before
    # it: the jobs read here are as claimed, before the start (which the
    # store then marks on the one it started, as SQLite's path does).
    return (
        Task.select(Task, TaskJob)
        .join(TaskJob, peewee.JOIN.LEFT_OUTER, on=(TaskJob.task == Task.id))
        .order_by(TaskJob.position)
        .with_cte(*ahead, claimed, started)
    )


def _ends(job_id: Any, **ending: Any) -> tuple[Any, Any]:
    """Return the end of a held task (a WITH query) and the end of its
    ``job_id``, if it was held."""
    ended = END.build(**ending).returning(Task.id).cte('ended')
    finished = END_JOB.build(job_id=job_id, status='finished', now=ending['now'])
    return ended, finished.where(TaskJob.task.in_(ended.select(ended.c.id)))


def _end_finishing(job_id: Any, **ending: Any) -> Any:
    # NOTE: the job ends only with the task: the count of rows changed says
    # whether the worker still held it, as END's alone does.
    ended, finished = _ends(job_id, **ending)
    return finished.with_cte(ended)


def _end_claiming(job_id: Any, lease: Any, max_claims: Any, **ending: Any) -> Any:
    ended, finished = _ends(job_id, **ending)
    return _claim_starting(
        ending['worker_id'],
        ending['now'],
        lease,
        max_claims,
        ending['task_id'],
        (ended, finished.cte('finished')),
    )


#: the claim of :data:`abiq.db.taskclaim.CLAIM`, the claimed task read
#: with its jobs, and its first unfinished job started unless the task is
#: claimed more than ``max_claims`` times
CLAIM_STARTING = Compiled(
    _claim_starting, names=('worker_id', 'now', 'lease', 'max_claims')
)
#: the end of :data:`abiq.db.taskstatements.END` and, if it was held, its
#: ``job_id`` finished
END_FINISHING = Compiled(_end_finishing, names=(*END.names, 'job_id'))
#: :data:`END_FINISHING`, then :data:`CLAIM_STARTING` of another task: a
#: worker's whole step from one task to the next, in one statement and so
#: in one transaction of its own (it does not say whether the end held)
END_CLAIMING = Compiled(
    _end_claiming, names=(*END.names, 'job_id', 'lease', 'max_claims')
)


def statements() -> dict[str, Compiled]:
    """Return every statement of this module, by name."""
    return {
        'CLAIM_STARTING': CLAIM_STARTING,
        'END_CLAIMING': END_CLAIMING,
        'END_FINISHING': END_FINISHING,
    }
