"""The engine without HTTP: claims, leases, lost workers, release."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import database
from abiq.db.models import utcnow
from abiq.pgnotify import is_postgres
from abiq.tasks.diagnostics import SLEEP
from abiq.tasks.diagnostics import sleep_jobs
from abiq.tasks.engine import Engine
from abiq.tasks.registry import JobSpec
from abiq.wiring import sql_engine
from tests.engine_support import PRODUCE


def engine(**kwargs) -> Engine:
    return sql_engine(
        retention=60,
        lease_seconds=kwargs.get('lease', 30),
        max_attempts=kwargs.get('max_attempts', 3),
        types=(PRODUCE,),
    )


def submit(eng: Engine, world, jobs: int = 2) -> Task:
    return eng.submit(
        'PRODUCE',
        enterprise_id=world.acme.id,
        user_id=world.alice.id,
        jobs=[JobSpec('STEP')] * jobs,
        params={'enterprise': 1},
    )


def expire_lease(task_id: str) -> None:
    Task.update(lease_expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        Task.id == task_id
    ).execute()


def in_threads(work: Callable[[str, list[str]], None], count: int = 4) -> list[str]:
    """Run ``work(worker_id, ids)`` in ``count`` threads at once, each on its
    own connection; return every id they appended."""
    found: list[list[str]] = [[] for _ in range(count)]

    def run(number: int) -> None:
        database.connect(reuse_if_open=True)
        try:
            work(f'w{number}', found[number])
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return [task_id for ids in found for task_id in ids]


def test_nothing_to_claim(world):
    assert engine().claim('w1') is None


def test_concurrent_claims_never_share_a_task(world):
    eng = engine()
    ids = {submit(eng, world, jobs=1).id for _ in range(40)}

    def claim_all(worker_id: str, claimed: list[str]) -> None:
        while (task := eng.claim(worker_id)) is not None:
            claimed.append(task.id)

    assert sorted(in_threads(claim_all)) == sorted(ids)


def test_expired_lease_is_claimed_again_and_resumes(world):
    eng = engine()
    task = submit(eng, world, jobs=3)
    first = eng.claim('dead')
    TaskJob.update(status='finished', runs=1).where(
        (TaskJob.task == task.id) & (TaskJob.position == 1)
    ).execute()
    assert eng.claim('other') is None  # the lease still holds
    expire_lease(task.id)
    second = eng.claim('alive')
    assert second.id == first.id and second.claims == 2
    eng.run(second, 'alive')
    done = Task.get_by_id(task.id)
    assert done.status == 'finished' and done.result_kind == 'enterprise'
    runs = [
        j.runs
        for j in TaskJob.select()
        .where(TaskJob.task == task.id)
        .order_by(TaskJob.position)
    ]
    assert runs == [1, 1, 1]


def test_a_worker_that_lost_its_lease_changes_nothing(world):
    eng = engine()
    task = submit(eng, world)
    stale = eng.claim('slow')
    expire_lease(task.id)
    eng.claim('fast')
    eng.run(stale, 'slow')
    row = Task.get_by_id(task.id)
    assert row.status == 'running' and row.lease_owner == 'fast'
    assert not eng.renew('slow', task.id) and eng.renew('fast', task.id)


def test_too_many_lost_workers_fail_the_task(world):
    eng = engine(max_attempts=2)
    task = submit(eng, world)
    for worker in ('a', 'b'):
        eng.claim(worker)
        expire_lease(task.id)
    third = eng.claim('c')
    eng.run(third, 'c')
    row = Task.get_by_id(task.id)
    assert row.status == 'failed'
    assert '"TASK-4"' in row.errors and row.lease_owner is None


def test_stopping_worker_gives_the_task_back(world):
    eng = engine()
    task = submit(eng, world)
    claimed = eng.claim('stopping')
    eng.run(claimed, 'stopping', should_stop=lambda: True)
    row = Task.get_by_id(task.id)
    assert row.status == 'pending' and row.lease_owner is None and row.claims == 0
    assert eng.claim('next').id == task.id


def test_chained_claims_under_contention_run_each_task_once(world):
    eng = engine()
    ids = {submit(eng, world, jobs=1).id for _ in range(40)}

    def work(worker_id: str, ran: list[str]) -> None:
        task = eng.claim(worker_id)
        while task is not None:
            ran.append(task.id)
            task = eng.run_then_claim(task, worker_id)

    assert sorted(in_threads(work)) == sorted(ids)
    rows = Task.select().where(Task.id.in_(list(ids)))
    assert {(row.status, row.claims) for row in rows} == {('finished', 1)}
    runs = TaskJob.select(TaskJob.runs).where(TaskJob.task.in_(list(ids)))
    assert {job.runs for job in runs} == {1}


def test_a_task_claimed_at_an_end_survives_its_worker(world):
    eng = engine()
    submit(eng, world, jobs=1)
    orphan = submit(eng, world)
    assert eng.run_then_claim(eng.claim('dead'), 'dead').id == orphan.id
    assert eng.claim('alive') is None  # the lease still holds
    expire_lease(orphan.id)
    again = eng.claim('alive')
    assert again.id == orphan.id and again.claims == 2
    assert eng.run_then_claim(again, 'alive') is None
    assert Task.get_by_id(orphan.id).status == 'finished'
    runs = TaskJob.select(TaskJob.runs).where(TaskJob.task == orphan.id)
    assert sorted(job.runs for job in runs) == [1, 2]


def test_a_step_to_the_next_task_is_one_statement_on_postgresql(world):
    # NOTE: SLEEP has no end hook: its end and the next claim go together.
    eng = sql_engine(retention=60, lease_seconds=30, max_attempts=3, types=(SLEEP,))
    ids = [
        eng.submit(
            'SLEEP',
            enterprise_id=world.acme.id,
            user_id=world.alice.id,
            jobs=sleep_jobs({'jobs': 1}),
            params={'jobs': 1},
        ).id
        for _ in range(4)
    ]
    task, ran = eng.claim('w1'), []
    sent: list[str] = []
    db, here = database.obj, threading.get_ident()
    execute_sql, begin = db.execute_sql, db.begin

    def sending(sql: str, *args, **kwargs):  # noqa: ANN202
        if threading.get_ident() == here:  # not the announcer's NOTIFY
            sent.append(sql.split()[0])
        return execute_sql(sql, *args, **kwargs)

    db.execute_sql = sending
    db.begin = lambda *args, **kwargs: sent.append('BEGIN') or begin(*args, **kwargs)
    try:
        while task is not None:
            ran.append(task.id)
            task = eng.run_then_claim(task, 'w1')
    finally:
        del db.execute_sql, db.begin
    assert ran == ids
    assert {row.status for row in Task.select()} == {'finished'}
    if is_postgres():
        # NOTE: four steps (the last finds nothing), one statement each: no
        # BEGIN or COMMIT (the prepared statement's own PREPARE aside).
        assert [word for word in sent if word != 'PREPARE'] == ['EXECUTE'] * 4
