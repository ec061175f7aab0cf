"""The SQL store keeps the contract the memory store keeps: same rows after
the same operations, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from abiq.tasks.memstore import MemoryStore
from abiq.tasks.sqlstore import SqlStore
from abiq.tasks.store import Ending
from abiq.tasks.store import TaskStore

T0 = dt.datetime(2026, 1, 2, 3, 4, 5)
MAX_CLAIMS = 3
TASK_FIELDS = (
    'status',
    'attempt',
    'claims',
    'progress',
    'errors',
    'lease_owner',
    'lease_expires_at',
    'cancel_requested',
    'revision',
    'log',
    'result_kind',
    'result_id',
    'started_at',
    'finished_at',
    'expires_at',
)


def at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def _insert(store: TaskStore, world, number: int):
    task = {
        'id': f'00000000-0000-0000-0000-{number:012d}',
        'type': 'STEP',
        'enterprise': world.acme.id,
        'user': world.alice.id,
        'created_at': at(number),
        'updated_at': at(number),
    }
    jobs = [{'position': p, 'type': 'STEP', 'params': '{}'} for p in (1, 2, 3)]
    with store.transaction():
        return store.insert(task, jobs)


def _snapshot(store: TaskStore, task_id: str) -> tuple:
    task = store.task(task_id)
    if task is None:
        return ('gone',)
    jobs = store.jobs_of([task])[task_id]
    return (
        tuple(getattr(task, name) for name in TASK_FIELDS),
        tuple((job.position, job.status, job.runs, job.finished_at) for job in jobs),
        store.revision(task_id),
        store.cancel_requested(task_id),
    )


def _claimed(task) -> tuple:
    """Return what a claim handed back: its row and jobs as claimed."""
    if task is None:
        return ('none',)
    return (
        tuple(getattr(task, name) for name in TASK_FIELDS),
        tuple(
            (job.position, job.status, job.runs, job.started_at, job.finished_at)
            for job in task.claimed_jobs
        ),
    )


def _scenario(store: TaskStore, world) -> list[tuple]:
    """Run every operation of the contract; return what each left."""
    first, second = _insert(store, world, 1), _insert(store, world, 2)
    seen = [[job.position for job in first.accepted_jobs]]
    with store.transaction():
        claimed = store.claim('w1', at(10), at(40), MAX_CLAIMS)
        jobs = store.jobs_of([claimed])[claimed.id]
    seen += [claimed.id == first.id, _snapshot(store, first.id), _claimed(claimed)]
    with store.transaction():
        seen.append(store.hold(first.id, 'w1', at(11), at(41), 33))
        seen.append(store.hold(first.id, 'w2', at(11), at(41), 66))
        store.end_job(jobs[0].id, 'finished', at(11))
        store.start_job(jobs[1].id, at(11))
    store.append_log(first.id, 'one', at(12))
    store.append_log(first.id, 'two', at(13))
    seen += [store.renew(first.id, 'w1', at(50)), store.renew(first.id, 'w2', at(50))]
    with store.transaction():
        # NOTE: the lease ran out: an abandoned task comes before a pending one
        stolen = store.claim('w2', at(60), at(90), MAX_CLAIMS)
    seen += [stolen.id == first.id, _snapshot(store, first.id), _claimed(stolen)]
    failed = Ending('failed', at(61), at(161), errors='[{"code": "X"}]')
    with store.transaction():
        seen.append(store.end_task(first.id, 'w1', failed))
        seen.append(store.end_task(first.id, 'w2', failed))
        store.end_job(jobs[1].id, 'failed', at(61))
    seen.append(_snapshot(store, first.id))
    with store.transaction():
        store.reset_for_retry(first.id, at(70))
    seen.append(_snapshot(store, first.id))
    with store.transaction():
        taken = store.claim('w3', at(71), at(101), MAX_CLAIMS)
        store.release(taken.id, 'w3', at(72))
        store.request_cancel(second.id, at(73))
    seen += [
        taken.id == first.id,
        _claimed(taken),
        _snapshot(store, first.id),
        _snapshot(store, second.id),
    ]
    with store.transaction():
        locked = store.locked(second.id)
        store.cancel_now(second.id, at(74), at(80))
    seen += [locked.status, _snapshot(store, second.id)]
    with store.transaction():
        # NOTE: over a limit of no claims: the claim starts no job (the run
        # fails at once).
        seen.append(_claimed(store.claim('w4', at(75), at(105), 0)))
        finished = Ending(
            'finished',
            at(76),
            at(176),
            progress=100,
            result=('e', '7'),
            finished_job=jobs[1].id,
        )
        seen.append(store.end_task(first.id, 'w5', finished))
        seen.append(store.end_task(first.id, 'w4', finished))
    seen += [_snapshot(store, first.id), store.purge(at(79)), store.purge(at(81))]
    seen += [_snapshot(store, second.id), _snapshot(store, first.id)]
    with store.transaction():
        seen.append(store.claim('w5', at(90), at(120), MAX_CLAIMS))
    return seen + _steps(store, world)


def _steps(store: TaskStore, world) -> list[tuple]:
    """A worker's step from one task to the next (end_and_claim)."""
    third, fourth = _insert(store, world, 3), _insert(store, world, 4)
    with store.transaction():
        held = store.claim('w6', at(200), at(201), MAX_CLAIMS)
    # NOTE: its lease ran out, but no one took it: the end holds, and the
    # claim that follows takes the next task, not this one again.
    done = Ending(
        'finished', at(210), at(310), progress=100, finished_job=held.claimed_jobs[0].id
    )
    following = store.end_and_claim(third.id, 'w6', done, at(240), MAX_CLAIMS)
    seen = [following.id == fourth.id, _claimed(following), _snapshot(store, third.id)]
    # NOTE: a stale worker's step ends nothing, and finds nothing to claim.
    stale = Ending(
        'finished', at(220), at(320), progress=100, finished_job=held.claimed_jobs[1].id
    )
    seen.append(store.end_and_claim(fourth.id, 'w7', stale, at(250), MAX_CLAIMS))
    return [*seen, _snapshot(store, fourth.id)]


def test_the_sql_store_keeps_the_memory_store_contract(world):
    expected = _scenario(MemoryStore(), world)
    assert _scenario(SqlStore(), world) == expected
    # NOTE: the scenario went where it meant to: the oldest task claimed,
    # stolen once its lease ran out, every write of a stale worker refused.
    assert expected[1] is True and expected[8] is True
    assert expected[4:8] == [True, False, True, False]
    assert expected[11:13] == [False, True]
    assert expected[-6] is None  # nothing left to claim
    # NOTE: a step ended its task and claimed the next; a stale one did not.
    assert expected[-5] is True and expected[-3][0][0] == 'finished'
    assert expected[-2] is None and expected[-1][0][0] == 'running'
    # NOTE: a claim hands its jobs back with the first unfinished one started
    # (the second, once the first finished), none over the claims limit.
    assert [job[1:3] for job in expected[3][1]] == [
        ('running', 1),
        ('pending', 0),
        ('pending', 0),
    ]
    assert [job[1:3] for job in expected[10][1]][1] == ('running', 2)
    assert expected[21][1] == expected[16][1]  # as w3 left them
    # NOTE: the job that finished with the task ended with it, held only.
    assert expected[22:24] == [False, True]
    assert expected[24][1][1][1] == 'finished'
