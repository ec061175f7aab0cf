"""The engine without HTTP: claims, leases, lost workers, release."""

from __future__ import annotations

import datetime as dt
import threading

from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import database
from abiq.db.models import utcnow
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


def test_nothing_to_claim(world):
    assert engine().claim('w1') is None


def test_concurrent_claims_never_share_a_task(world):
    eng = engine()
    ids = {submit(eng, world, jobs=1).id for _ in range(40)}
    claimed: list[str] = []
    lock = threading.Lock()

    def claim_all(worker_id: str) -> None:
        database.connect(reuse_if_open=True)
        try:
            while (task := eng.claim(worker_id)) is not None:
                with lock:
                    claimed.append(task.id)
        finally:
            database.close()

    threads = [threading.Thread(target=claim_all, args=(f'w{n}',)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(claimed) == sorted(ids)


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
