"""A worker's claim is one seek on the claim index, however many tasks are
pending and whatever the planner's statistics say: PostgreSQL plans a burst
of new tasks on statistics that say there are few, and sorted every pending
task on each claim before the index held all of the claim's conditions."""

from __future__ import annotations

import datetime as dt

import peewee

from abiq.db import taskstatements
from abiq.db.models import database
from abiq.db.models import utcnow
from tests.factories import make_tasks


def test_the_claim_seeks_the_claim_index_in_a_burst_of_tasks(world):
    make_tasks(world.acme, world.alice, 2000, external=False)
    now = utcnow()
    sql, params = taskstatements.CLAIM.statement(
        worker_id='w1', now=now, lease=now + dt.timedelta(seconds=60)
    )
    sqlite = isinstance(database.obj, peewee.SqliteDatabase)
    explain = 'EXPLAIN QUERY PLAN ' if sqlite else 'EXPLAIN '
    plan = ' '.join(str(row) for row in database.execute_sql(explain + sql, params))
    assert plan.count('task_claimable') == 2  # the abandoned, then the pending
    assert 'Sort' not in plan and 'TEMP B-TREE' not in plan
