"""What may be done to a task now: one rule per action.

The links of a task (``cancel``, ``retry``, ``edit``) and the enforcement
(:class:`abiq.tasks.engine.Engine`, :mod:`abiq.tasks.records`, the task
resource's PUT) read the same predicates here, as ``VM_ACTIONS`` does for
virtual machines. A ``can_*`` predicate says whether a link is offered; a
``check_*`` raises the refusal the client reads.
"""

from __future__ import annotations

from typing import Any
from typing import Protocol

from abiq.exceptions import NotExternal
from abiq.exceptions import NotOwner
from abiq.exceptions import NotRetryable
from abiq.exceptions import TaskEnded
from abiq.statuses import TERMINAL

__all__ = [
    'RETRYABLE',
    'Actor',
    'can_cancel',
    'can_edit',
    'can_retry',
    'check_cancel',
    'check_edit',
    'check_owner',
    'check_retry',
    'has_ended',
    'owns',
]

# NOTE: the statuses a server-run task is retried from.
RETRYABLE = ('failed', 'cancelled')


class Actor(Protocol):
    """Who acts (an :class:`abiq.auth.Caller`)."""

    is_admin: bool
    can_write: bool
    enterprise_id: int
    user: Any


def has_ended(task: Any) -> bool:
    """Tell whether a task has ended (it can no longer change)."""
    return task.status in TERMINAL


def can_cancel(task: Any) -> bool:
    """Tell whether a task can still be cancelled (not asked already)."""
    return not has_ended(task) and not task.cancel_requested


def check_cancel(task: Any) -> None:
    """Refuse to cancel a task that has ended.

    NOTE: a second cancel of a task already asked to stop is accepted (it
    answers as the first did); only the link is no longer offered.

    Raises:
        TaskEnded: the task has ended.
    """
    if has_ended(task):
        raise TaskEnded(f'The task is {task.status} and cannot be cancelled')


def can_retry(task: Any) -> bool:
    """Tell whether a task can be retried (server-run, failed or cancelled)."""
    return not task.external and task.status in RETRYABLE


def check_retry(task: Any) -> None:
    """Refuse to retry a task :func:`can_retry` rejects.

    Raises:
        NotRetryable: an external task, or one in another status.
    """
    if not can_retry(task):
        raise NotRetryable(
            f'Only failed or cancelled tasks can be retried; this one is {task.status}'
        )


def owns(task: Any, actor: Actor) -> bool:
    """Tell whether the actor created the task or is an administrator."""
    return actor.is_admin or task.user_id == actor.user.id


def can_edit(task: Any, actor: Actor) -> bool:
    """Tell whether the actor may update an external task now."""
    return (
        task.external and not has_ended(task) and actor.can_write and owns(task, actor)
    )


def check_owner(task: Any, actor: Actor) -> None:
    """Refuse an update of an external task by anyone but its creator or an
    administrator (checked before the body is read).

    Raises:
        NotOwner: the actor did not create it and is no administrator.
    """
    if task.external and not owns(task, actor):
        raise NotOwner('Only the creator of an external task or an admin may update it')


def check_edit(task: Any) -> None:
    """Refuse an update of a server-run task, or of one that has ended.

    Raises:
        NotExternal: the server runs the task.
        TaskEnded: the task has ended.
    """
    if not task.external:
        raise NotExternal(
            'Only external tasks can be updated; this one is run by the server'
        )
    if has_ended(task):
        raise TaskEnded(f'The task is {task.status} and can no longer change')
