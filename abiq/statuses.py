"""The task status vocabulary and the aliases clients may send (API.md §8)."""

from __future__ import annotations

__all__ = [
    'ACTIVE',
    'STATUSES',
    'TERMINAL',
    'normalize_status',
    'v1_status',
]

STATUSES = ('pending', 'running', 'finished', 'failed', 'cancelled')
TERMINAL = frozenset({'finished', 'failed', 'cancelled'})
ACTIVE = frozenset({'pending', 'running'})
JOB_STATUSES = ('pending', 'running', 'finished', 'failed', 'skipped', 'cancelled')

_ALIASES = {
    'queued': 'pending',
    'queueing': 'pending',
    'notstarted': 'pending',
    'inprogress': 'running',
    'started': 'running',
    'dispatched': 'running',
    'success': 'finished',
    'sucess': 'finished',
    'successful': 'finished',
    'succeeded': 'finished',
    'done': 'finished',
    'finishedsuccessfully': 'finished',
    'completed': 'finished',
    'error': 'failed',
    'finishedunsuccessfully': 'failed',
    'aborted': 'failed',
    'canceled': 'cancelled',
}
_ALIASES.update({status: status for status in JOB_STATUSES})
_FOLD = str.maketrans('', '', ' _-\t')


def normalize_status(value: str) -> str | None:
    """Return the canonical status for a status or alias, else None.

    Case, spaces, ``_`` and ``-`` are ignored: ``In_Progress`` is ``running``.
    """
    return _ALIASES.get(value.lower().translate(_FOLD))


def v1_status(status: str) -> str:
    """Return the version 1 status (pending, finished or failed)."""
    if status in ('pending', 'running'):
        return 'pending'
    if status == 'cancelled':
        return 'failed'
    return status
