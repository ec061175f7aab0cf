"""The claim: which task a worker takes next, in one statement.

The oldest abandoned task (running, its lease expired: its worker is gone)
comes first, else the oldest pending one. Only server-run tasks are claimed;
an agent reports an external task's progress itself.
"""

from __future__ import annotations

from typing import Any

import peewee

from abiq.db.compiled import Compiled
from abiq.db.compiled import literal
from abiq.db.models import Task
from abiq.db.models import database

__all__ = ['CLAIM', 'ONE', 'claim']

# NOTE: the claim's statuses and limit as literals, so that a generic plan
# (prepared statements) still matches the claim's partial indexes and is
# costed as what it is, the seek of one row (compiled.literal).
PENDING, RUNNING, ONE = literal('pending'), literal('running'), literal(1)


def _claimable(besides: Any) -> peewee.Expression:
    # NOTE: written as the claim index's own condition (models.Task), not
    # compared to a parameter: a planner uses a partial index only for a
    # query whose conditions imply the index's.
    if besides is None:
        return ~Task.external
    return ~Task.external & (Task.id != besides)


def _for_update(query: peewee.ModelSelect) -> peewee.ModelSelect:
    if isinstance(database.obj, peewee.SqliteDatabase):
        return query  # the whole database is locked for the transaction
    # NOTE: SKIP LOCKED lets concurrent workers each take a different task
    # instead of queueing on the same row.
    return query.for_update(skip_locked=True)


def _oldest(condition: peewee.Expression) -> peewee.ModelSelect:
    # NOTE: one seek on a claim index, whatever the number of finished
    # tasks and whatever the planner's statistics say.
    return _for_update(
        Task.select(Task.id)
        .where(condition)
        .order_by(Task.created_at, Task.id)
        .limit(ONE)
    )


def claim(worker_id: Any, now: Any, lease: Any, besides: Any = None) -> Any:
    """Return the claim's UPDATE ... RETURNING for ``worker_id``, of any
    task but ``besides`` (one that the same statement ends).

    Each subquery locks the row it finds, SKIP LOCKED past those other
    workers are taking; scalar subqueries (=), not IN, which PostgreSQL may
    run again for every row it updates, taking one more task each time.
    """
    claimable = _claimable(besides)
    abandoned = (Task.status == RUNNING) & (Task.lease_expires_at < now)
    pending = Task.status == PENDING
    return (
        Task.update(
            status='running',
            lease_owner=worker_id,
            lease_expires_at=lease,
            claims=Task.claims + 1,
            started_at=peewee.fn.COALESCE(Task.started_at, now),
            updated_at=now,
            revision=Task.revision + 1,
        )
        .where(
            (
                Task.id
                == peewee.fn.COALESCE(
                    _oldest(claimable & abandoned), _oldest(claimable & pending)
                )
            )
            & claimable
            & (pending | abandoned)
        )
        .returning(*Task._meta.sorted_fields)
    )


CLAIM = Compiled(lambda worker_id, now, lease: claim(worker_id, now, lease))
