"""A worker's claim is one seek on each claim index, however many tasks are
pending or finished and whatever the planner's statistics say.

PostgreSQL plans on statistics that lag the table: a burst of new tasks on
statistics that say there are few (it sorted every pending task on each
claim before the index held all of the claim's conditions), and the tasks
of that burst, once run, on statistics that say they are all pending (it
walked the age index through every finished one). A prepared claim runs a
generic plan, made without its parameters' values: the statuses it seeks
are written into its SQL, or no plan could use the partial indexes."""

from __future__ import annotations

import datetime as dt

import peewee
import pytest

from abiq.db import taskfused
from abiq.db import taskstatements
from abiq.db.models import Task
from abiq.db.models import database
from abiq.db.models import utcnow
from abiq.db.prepared import Prepared
from abiq.pgnotify import is_postgres
from tests.factories import make_tasks


def _claim_plan(generic: bool = False) -> str:
    now = utcnow()
    sql, params = taskstatements.CLAIM.statement(
        worker_id='w1', now=now, lease=now + dt.timedelta(seconds=60)
    )
    if isinstance(database.obj, peewee.SqliteDatabase):
        explain = database.execute_sql('EXPLAIN QUERY PLAN ' + sql, params)
    elif generic:
        explain = _generic_plan(sql, params)
    else:
        explain = database.execute_sql('EXPLAIN ' + sql, params)
    return ' '.join(str(row) for row in explain)


def _generic_plan(sql: str, params: list) -> list:
    """EXPLAIN the plan PostgreSQL keeps for the prepared statement, which
    it runs from the sixth call on (abiq.db.prepared): made without the
    parameters' values."""
    statement = Prepared(sql, len(params))
    with database.atomic():
        database.execute_sql('SET LOCAL plan_cache_mode = force_generic_plan')
        database.execute_sql(statement.prepare)
        try:
            return list(database.execute_sql('EXPLAIN ' + statement.execute, params))
        finally:
            database.execute_sql(f'DEALLOCATE {statement.name}')


def _assert_one_seek_each(plan: str) -> None:
    # NOTE: the abandoned task's seek and the pending one's, each on an index
    # whose rows it reads are all claimable (SQLite takes task_claimable for
    # both; PostgreSQL task_pending for the pending one), never on an index
    # that holds finished tasks too.
    assert plan.count('task_claimable') + plan.count('task_pending') == 2, plan
    assert 'task_created_at' not in plan and 'SCAN' not in plan, plan
    assert 'Sort' not in plan and 'TEMP B-TREE' not in plan, plan


def test_the_claim_seeks_the_claim_indexes_in_a_burst_of_tasks(world):
    make_tasks(world.acme, world.alice, 2000, external=False)
    _assert_one_seek_each(_claim_plan())


def _burst_mostly_run(world) -> None:
    ids = make_tasks(world.acme, world.alice, 2000, external=False)
    # NOTE: analysed while every task is pending, as autovacuum may have
    # done during the burst; then three quarters run to the end.
    database.execute_sql('ANALYZE')
    Task.update(status='finished', finished_at=utcnow()).where(
        Task.id.in_(sorted(ids)[:1500])
    ).execute()


def test_the_claim_reads_no_finished_task_on_statistics_of_a_burst(world):
    _burst_mostly_run(world)
    _assert_one_seek_each(_claim_plan())


def test_the_prepared_claim_seeks_the_claim_indexes_too(world):
    _burst_mostly_run(world)
    # NOTE: with the statuses as parameters this plan sought both tasks on
    # the age index, through every task, finished or not.
    _assert_one_seek_each(_claim_plan(generic=True))


def _fused_claims() -> dict[str, tuple[str, list]]:
    now = utcnow()
    claiming = {'worker_id': 'w1', 'now': now, 'max_claims': 5}
    lease = now + dt.timedelta(seconds=60)
    ending = {'task_id': 'gone', 'status': 'finished', 'expires': now, 'job_id': 0}
    ending |= dict.fromkeys(('errors', 'progress', 'result_kind', 'result_id'))
    return {
        'CLAIM_STARTING': taskfused.CLAIM_STARTING.statement(**claiming, lease=lease),
        'END_CLAIMING': taskfused.END_CLAIMING.statement(
            **claiming, **ending, lease=lease
        ),
    }


@pytest.mark.parametrize('name', ['CLAIM_STARTING', 'END_CLAIMING'])
def test_a_prepared_claim_keeps_its_generic_plan_with_thousands_pending(world, name):
    if not is_postgres():
        pytest.skip('PostgreSQL plan cache: SQLite prepares nothing')
    make_tasks(world.acme, world.alice, 6000, external=False)
    database.execute_sql('ANALYZE')
    sql, params = _fused_claims()[name]
    statement = Prepared(sql, len(params))
    # NOTE: with LIMIT as a parameter, the generic plan was reckoned to lock
    # a tenth of the pending tasks: dearer than a plan made for the values,
    # so PostgreSQL planned every claim anew once thousands were pending.
    with database.atomic() as transaction:
        database.execute_sql(statement.prepare)
        for _ in range(8):
            database.execute_sql(statement.execute, params).fetchall()
        generic, custom = database.execute_sql(
            'SELECT generic_plans, custom_plans FROM pg_prepared_statements '
            'WHERE name = %s',
            [statement.name],
        ).fetchone()
        plan = ' '.join(
            str(row)
            for row in database.execute_sql('EXPLAIN ' + statement.execute, params)
        )
        database.execute_sql(f'DEALLOCATE {statement.name}')
        transaction.rollback()
    assert (generic, custom) == (3, 5)
    # NOTE: the seeks of the claim itself (the jobs' read sorts a few rows).
    assert plan.count('task_claimable') + plan.count('task_pending') == 2, plan
    assert 'task_created_at' not in plan, plan
