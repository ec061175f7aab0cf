"""One rule per task action, read by the links and the enforcement."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from abiq.exceptions import NotExternal
from abiq.exceptions import NotOwner
from abiq.exceptions import NotRetryable
from abiq.exceptions import TaskEnded
from abiq.tasks import rules
from abiq.tasks.memstore import MemoryTask


def task(status: str, **changes) -> MemoryTask:
    return MemoryTask(
        id='t', type='T', enterprise_id=1, user_id=2, status=status, **changes
    )


def actor(user_id: int = 2, admin: bool = False, write: bool = True):
    return SimpleNamespace(
        is_admin=admin, can_write=write, user=SimpleNamespace(id=user_id)
    )


@pytest.mark.parametrize(
    ('status', 'requested', 'offered'),
    [
        ('pending', False, True),
        ('running', False, True),
        ('running', True, False),
        ('finished', False, False),
        ('failed', False, False),
        ('cancelled', False, False),
    ],
)
def test_cancel(status, requested, offered):
    row = task(status, cancel_requested=requested)
    assert rules.can_cancel(row) is offered
    if status in ('finished', 'failed', 'cancelled'):
        with pytest.raises(
            TaskEnded, match=f'The task is {status} and cannot be cancelled'
        ):
            rules.check_cancel(row)
    else:
        rules.check_cancel(row)  # a second cancel is accepted


@pytest.mark.parametrize(
    'status', ['pending', 'running', 'finished', 'failed', 'cancelled']
)
@pytest.mark.parametrize('external', [False, True])
def test_retry(status, external):
    row = task(status, external=external)
    offered = not external and status in ('failed', 'cancelled')
    assert rules.can_retry(row) is offered
    if offered:
        rules.check_retry(row)
    else:
        with pytest.raises(NotRetryable, match=f'this one is {status}$'):
            rules.check_retry(row)


def test_edit():
    mine = task('running', external=True)
    assert rules.can_edit(mine, actor())
    assert not rules.can_edit(mine, actor(write=False))
    assert not rules.can_edit(mine, actor(user_id=3))
    assert rules.can_edit(mine, actor(user_id=3, admin=True))
    assert not rules.can_edit(task('finished', external=True), actor())
    assert not rules.can_edit(task('running'), actor())
    with pytest.raises(NotOwner, match='Only the creator of an external task'):
        rules.check_owner(mine, actor(user_id=3))
    rules.check_owner(task('running'), actor(user_id=3))  # server-run: TASK-3 later
    with pytest.raises(NotExternal, match='this one is run by the server'):
        rules.check_edit(task('running'))
    with pytest.raises(TaskEnded, match='is failed and can no longer change'):
        rules.check_edit(task('failed', external=True))
    rules.check_edit(mine)
