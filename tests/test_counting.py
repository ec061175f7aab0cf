"""Task totals from the tallies the database keeps, against plain counts."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from abiq.db.counters import TaskTally
from abiq.db.models import Task
from abiq.db.models import utcnow
from abiq.statuses import STATUSES
from abiq.tasks.counting import count_tasks
from abiq.tasks.counting import unexpired
from tests.factories import make_tasks
from tests.test_engine import engine
from tests.test_engine import submit


def plain_count(enterprise_id, statuses, now) -> int:
    query = Task.select().where(unexpired(now))
    if enterprise_id is not None:
        query = query.where(Task.enterprise == enterprise_id)
    if statuses:
        query = query.where(Task.status.in_(statuses))
    return query.count()


def tally(enterprise) -> int:
    row = TaskTally.get_or_none(TaskTally.enterprise == enterprise.id)
    return row.n if row else 0


@pytest.fixture
def mixed(world):
    """Tasks of every status in two enterprises, some of them expired."""
    past, future = utcnow() - dt.timedelta(minutes=5), utcnow() + dt.timedelta(days=1)
    for enterprise, user, scale in (
        (world.acme, world.alice, 1),
        (world.other, world.bob, 2),
    ):
        for number, status in enumerate(STATUSES, start=1):
            make_tasks(enterprise, user, number * scale, status=status)
            if status in ('finished', 'failed', 'cancelled'):
                make_tasks(enterprise, user, scale, status=status, expires_at=past)
                make_tasks(enterprise, user, scale, status=status, expires_at=future)
    return world


def test_every_status_filter_counts_what_a_plain_count_finds(mixed):
    now = utcnow()
    filters = [()] + [
        combo
        for size in range(1, len(STATUSES) + 1)
        for combo in itertools.combinations(STATUSES, size)
    ]
    for enterprise_id in (
        None,
        mixed.acme.id,
        mixed.other.id,
        mixed.admin.enterprise_id,
    ):
        for statuses in filters:
            expected = plain_count(enterprise_id, statuses, now)
            assert count_tasks(enterprise_id, statuses, now) == expected, (
                enterprise_id,
                statuses,
            )


def test_tallies_follow_submit_run_retry_and_purge(world):
    eng = engine()
    first, second = submit(eng, world), submit(eng, world)
    assert tally(world.acme) == 2 and tally(world.other) == 0
    for _ in range(2):
        eng.run(eng.claim('w'), 'w')
    Task.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        Task.id == first.id
    ).execute()
    now = utcnow()
    assert count_tasks(world.acme.id, (), now) == 1
    assert count_tasks(world.acme.id, ('finished',), now) == 1
    assert count_tasks(None, ('pending', 'finished'), now) == 1
    assert eng.purge() == 1
    assert tally(world.acme) == 1
    assert count_tasks(world.acme.id, (), utcnow()) == 1
    Task.delete().where(Task.id == second.id).execute()
    assert tally(world.acme) == 0 and count_tasks(None, (), utcnow()) == 0
