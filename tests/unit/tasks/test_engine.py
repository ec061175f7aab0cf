"""The engine over the in-memory store: no database, no server."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from abiq.exceptions import NotRetryable
from abiq.exceptions import TaskEnded
from abiq.tasks.engine import Engine
from abiq.tasks.memstore import MemoryStore
from abiq.tasks.registry import Cancelled
from abiq.tasks.registry import JobContext
from abiq.tasks.registry import JobError
from abiq.tasks.registry import JobSpec
from abiq.tasks.registry import TaskType
from abiq.timestamps import utcnow

ENDED: list[tuple[str, str]] = []


def _step(context: JobContext) -> None:
    context.log(f'job {context.position} ran')
    behaviour = context.params.get('do')
    if behaviour == 'fail' and context.attempt == 1:
        raise JobError('STEP-1', 'failed on purpose', ['cause'])
    if behaviour == 'crash':
        raise RuntimeError('a bug')
    if behaviour == 'cancel':
        raise Cancelled


STEP = TaskType(
    'STEP',
    handlers={'STEP': _step},
    result=lambda params: ('enterprise', str(params.get('enterprise', 1))),
    on_end=lambda task_id, params, status: ENDED.append((task_id, status)),
)


class Notifier:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


@pytest.fixture
def store() -> MemoryStore:
    ENDED.clear()
    return MemoryStore()


def engine(store: MemoryStore, notifier=None, max_attempts: int = 3) -> Engine:
    return Engine(
        store,
        notifier or Notifier(),
        retention=60,
        lease_seconds=30,
        max_attempts=max_attempts,
        types=(STEP,),
    )


def submit(eng: Engine, *behaviours: str | None):
    jobs = [JobSpec('STEP', params={'do': b} if b else {}) for b in behaviours]
    return eng.submit('STEP', enterprise_id=1, user_id=2, jobs=jobs)


def expire_lease(store: MemoryStore, task_id: str) -> None:
    store.tasks[task_id].lease_expires_at = utcnow() - dt.timedelta(seconds=1)


def test_a_task_runs_its_jobs_in_order_and_finishes(store):
    notifier = Notifier()
    eng = engine(store, notifier)
    task = submit(eng, None, None)
    assert [job.position for job in task.accepted_jobs] == [1, 2]
    claimed = eng.claim('w1')
    assert claimed.id == task.id and claimed.lease_owner == 'w1'
    eng.run(claimed, 'w1')
    row = store.tasks[task.id]
    assert (row.status, row.progress, row.result_kind) == (
        'finished',
        100,
        'enterprise',
    )
    assert row.lease_owner is None and row.log == 'job 1 ran\njob 2 ran'
    assert [(j.status, j.runs) for j in store.jobs.values()] == [('finished', 1)] * 2
    assert ENDED == [(task.id, 'finished')]
    assert notifier.calls == 4  # submit, claim, two job boundaries
    assert eng.claim('w1') is None


def test_an_abandoned_task_comes_first_and_resumes(store):
    eng = engine(store)
    first = submit(eng, None, None)
    assert eng.claim('dead').id == first.id
    assert eng.claim('alive') is None  # the lease still holds
    older = submit(eng, None)
    start = store.tasks[first.id].created_at
    store.tasks[older.id].created_at = start - dt.timedelta(seconds=1)
    expire_lease(store, first.id)
    again = eng.claim('other')
    assert again.id == first.id and again.claims == 2
    assert eng.claim('alive').id == older.id


def test_a_worker_that_lost_its_lease_changes_nothing(store):
    eng = engine(store)
    task = submit(eng, None, None)
    stale = eng.claim('slow')
    expire_lease(store, task.id)
    eng.claim('fast')
    eng.run(stale, 'slow')
    row = store.tasks[task.id]
    assert row.status == 'running' and row.lease_owner == 'fast'
    assert not eng.renew('slow', task.id) and eng.renew('fast', task.id)


def test_too_many_lost_workers_fail_the_task(store):
    eng = engine(store, max_attempts=2)
    task = submit(eng, None)
    for worker in ('a', 'b'):
        eng.claim(worker)
        expire_lease(store, task.id)
    eng.run(eng.claim('c'), 'c')
    row = store.tasks[task.id]
    assert row.status == 'failed' and orjson.loads(row.errors)[0]['code'] == 'TASK-4'


def test_a_task_no_worker_knows_fails(store):
    task = submit(engine(store), None)
    other = Engine(store, Notifier(), retention=60, lease_seconds=30, max_attempts=3)
    other.run(other.claim('w'), 'w')
    assert orjson.loads(store.tasks[task.id].errors)[0]['code'] == 'TASK-5'


def test_a_failed_job_fails_the_task_and_a_retry_resumes_it(store):
    eng = engine(store)
    task = submit(eng, None, 'fail', None)
    eng.run(eng.claim('w'), 'w')
    row = store.tasks[task.id]
    assert row.status == 'failed' and row.progress == 33
    assert orjson.loads(row.errors) == [
        {'code': 'STEP-1', 'message': 'failed on purpose', 'causes': ['cause']}
    ]
    assert [j.status for j in store.jobs.values()] == ['finished', 'failed', 'pending']
    retried = eng.retry(task)
    assert (retried.status, retried.attempt, retried.errors) == ('pending', 2, '[]')
    assert [j.status for j in retried.accepted_jobs] == [
        'finished',
        'pending',
        'pending',
    ]
    eng.run(eng.claim('w'), 'w')
    assert store.tasks[task.id].status == 'finished'
    assert [j.runs for j in store.jobs.values()] == [1, 2, 1]


def test_a_crashing_job_fails_with_task_6(store):
    eng = engine(store)
    task = submit(eng, 'crash')
    eng.run(eng.claim('w'), 'w')
    error = orjson.loads(store.tasks[task.id].errors)[0]
    assert error == {
        'code': 'TASK-6',
        'message': 'Job STEP failed unexpectedly',
        'causes': ['RuntimeError'],
    }


def test_only_failed_or_cancelled_tasks_are_retried(store):
    eng = engine(store)
    task = submit(eng, None)
    with pytest.raises(NotRetryable, match='this one is pending'):
        eng.retry(task)


def test_a_pending_task_is_cancelled_at_once(store):
    eng = engine(store)
    task = submit(eng, None, None)
    assert eng.cancel(task) is True
    row = store.tasks[task.id]
    assert row.status == 'cancelled' and row.expires_at is not None
    assert {j.status for j in store.jobs.values()} == {'cancelled'}
    assert ENDED == [(task.id, 'cancelled')]
    with pytest.raises(TaskEnded, match='is cancelled and cannot be cancelled'):
        eng.cancel(task)


def test_a_running_task_stops_at_its_next_job_boundary(store):
    eng = engine(store)
    task = submit(eng, None, None)
    claimed = eng.claim('w')
    assert eng.cancel(task) is False and store.tasks[task.id].cancel_requested
    assert eng.cancel(task) is False  # asked again: the same answer
    eng.run(claimed, 'w')
    row = store.tasks[task.id]
    assert row.status == 'cancelled' and not row.cancel_requested
    assert [j.status for j in store.jobs.values()] == ['finished', 'cancelled']
    assert eng.retry(task).status == 'pending'


def test_a_job_that_sees_the_cancel_flag_cancels_the_task(store):
    eng = engine(store)
    task = submit(eng, 'cancel', None)
    eng.run(eng.claim('w'), 'w')
    assert store.tasks[task.id].status == 'cancelled'
    assert [j.status for j in store.jobs.values()] == ['cancelled'] * 2


def test_a_stopping_worker_gives_the_task_back(store):
    eng = engine(store)
    task = submit(eng, None, None)
    eng.run(eng.claim('stopping'), 'stopping', should_stop=lambda: True)
    row = store.tasks[task.id]
    assert row.status == 'pending' and row.lease_owner is None and row.claims == 0
    assert eng.claim('next').id == task.id


def test_a_failing_before_commit_stores_nothing(store):
    def refuse(task_id: str) -> None:
        raise RuntimeError('locked')

    with pytest.raises(RuntimeError):
        engine(store).submit(
            'STEP', enterprise_id=1, user_id=2, jobs=[], before_commit=refuse
        )
    assert not store.tasks and not store.jobs


def test_expired_tasks_are_purged(store):
    eng = engine(store)
    task = submit(eng, None)
    eng.cancel(task)
    assert eng.purge() == 0
    store.tasks[task.id].expires_at = utcnow() - dt.timedelta(seconds=1)
    assert eng.purge() == 1 and not store.tasks and not store.jobs


def test_an_unknown_task_type_is_refused(store):
    with pytest.raises(KeyError):
        engine(store).submit('NOPE', enterprise_id=1, user_id=None, jobs=[])


def test_the_end_of_a_task_claims_the_oldest_next_one(store):
    notifier = Notifier()
    eng = engine(store, notifier)
    first, second, third = (submit(eng, None) for _ in range(3))
    start = store.tasks[first.id].created_at
    for task, later in ((third, 1), (second, 2)):
        store.tasks[task.id].created_at = start + dt.timedelta(seconds=later)
    claimed = eng.claim('w')
    assert claimed.id == first.id
    following = eng.run_then_claim(claimed, 'w')
    assert store.tasks[first.id].status == 'finished'
    assert following.id == third.id and following.lease_owner == 'w'
    row = store.tasks[third.id]
    assert (row.status, row.lease_owner, row.claims) == ('running', 'w', 1)
    started = store.jobs_of([row])[row.id]
    assert [(job.status, job.runs) for job in started] == [('running', 1)]
    last = eng.run_then_claim(following, 'w')
    assert last.id == second.id
    assert eng.run_then_claim(last, 'w') is None
    assert {task.status for task in store.tasks.values()} == {'finished'}
    assert notifier.calls == 3 + 1 + 3  # submits, the claim, one per task end


def test_a_failed_task_claims_the_next_one_too(store):
    eng = engine(store)
    failing = submit(eng, 'fail')
    waiting = submit(eng, None)
    following = eng.run_then_claim(eng.claim('w'), 'w')
    assert store.tasks[failing.id].status == 'failed'
    assert following.id == waiting.id


def test_a_stopping_worker_claims_nothing_more(store):
    eng = engine(store)
    first = submit(eng, None)
    waiting = submit(eng, None)
    assert eng.run_then_claim(eng.claim('w'), 'w', should_stop=lambda: True) is None
    assert store.tasks[first.id].status == 'finished'
    row = store.tasks[waiting.id]
    assert (row.status, row.lease_owner, row.claims) == ('pending', None, 0)


def test_a_task_claimed_at_an_end_survives_its_worker(store):
    eng = engine(store)
    submit(eng, None)
    orphan = submit(eng, None, None)
    # NOTE: the worker dies after the commit that claimed ``orphan``, before
    # running it: the lease runs out and another worker takes it over.
    assert eng.run_then_claim(eng.claim('dead'), 'dead').id == orphan.id
    assert eng.claim('alive') is None  # the lease still holds
    expire_lease(store, orphan.id)
    again = eng.claim('alive')
    assert again.id == orphan.id and again.claims == 2
    assert eng.run_then_claim(again, 'alive') is None
    row = store.tasks[orphan.id]
    assert row.status == 'finished'
    jobs = store.jobs_of([row])[row.id]
    assert [(job.status, job.runs) for job in jobs] == [
        ('finished', 2),
        ('finished', 1),
    ]
