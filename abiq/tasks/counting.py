"""The ``totalSize`` of a tasks collection without counting every task.

Counting a million rows takes SQLite or PostgreSQL a noticeable fraction of a
second, on every page. Instead the database keeps the number of task rows of
each enterprise (:class:`abiq.db.counters.TaskTally`, maintained by
triggers), and a page's total is that number corrected by counts over small
sets only:

* tasks that expired but are not purged yet (workers purge every minute);
* with a ``status`` filter that includes ``finished``, the tasks in the other
  statuses, subtracted; without ``finished``, the filtered tasks are counted
  directly.

Both rest on what a busy installation looks like: most tasks are finished,
few are pending, running, failed or cancelled at once. Filters other than
``status`` (``type``, ``has``, the tasks of one entity) are counted plainly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import peewee

from abiq.db.compiled import Compiled
from abiq.db.counters import TaskTally
from abiq.db.models import Task
from abiq.db.taskstatements import unexpired
from abiq.statuses import STATUSES

__all__ = ['count_tasks', 'unexpired']


def count_tasks(
    enterprise_id: int | None, statuses: Sequence[str], now: dt.datetime
) -> int:
    """Return how many unexpired tasks match.

    Args:
        enterprise_id: the enterprise whose tasks count (None: every one).
        statuses: the canonical statuses to count (empty: all).
        now: the moment expiry is judged at.
    """
    shape = (enterprise_id is None, frozenset(statuses) or frozenset(STATUSES))
    statement = _STATEMENTS.get(shape)
    if statement is None:
        scoped, wanted = shape
        if scoped:
            statement = Compiled(lambda now: _total(None, wanted, now))
        else:
            statement = Compiled(
                lambda now, enterprise: _total(enterprise, wanted, now)
            )
        _STATEMENTS[shape] = statement
    values = (
        {'now': now}
        if enterprise_id is None
        else {'now': now, 'enterprise': enterprise_id}
    )
    return statement.scalar(**values) or 0


# NOTE: one statement per shape (scope and status set), built once; at most
# 2 x 31 of them.
_STATEMENTS: dict[tuple[bool, frozenset[str]], Compiled] = {}


def _total(enterprise_id: Any, wanted: frozenset[str], now: Any) -> peewee.Select:
    """Return the one select that computes a total: a count, or the tally
    minus the counts of the other statuses and of the expired tasks."""
    if 'finished' not in wanted:
        return peewee.Select(
            columns=[
                _count(enterprise_id, unexpired(now) & Task.status.in_(sorted(wanted)))
            ]
        )
    tallies = TaskTally.select(peewee.fn.COALESCE(peewee.fn.SUM(TaskTally.n), 0))
    if enterprise_id is not None:
        tallies = tallies.where(TaskTally.enterprise == enterprise_id)
    total: Any = tallies
    others = [status for status in STATUSES if status not in wanted]
    expired = Task.expires_at <= now
    if others:
        total = peewee.Expression(
            total, peewee.OP.SUB, _count(enterprise_id, Task.status.in_(others))
        )
        expired &= Task.status.in_(sorted(wanted))
    total = peewee.Expression(total, peewee.OP.SUB, _count(enterprise_id, expired))
    return peewee.Select(columns=[total])


def _count(enterprise_id: Any, condition: peewee.Expression) -> peewee.Select:
    if enterprise_id is not None:
        condition &= Task.enterprise == enterprise_id
    return Task.select(peewee.fn.COUNT(peewee.SQL('*'))).where(condition)
