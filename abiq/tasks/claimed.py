"""What a runner keeps of the task it runs, and what a job boundary ends in.

:class:`abiq.tasks.runner.Runner` carries a :class:`Claimed` from one job
boundary to the next; each boundary ends in an :class:`Outcome`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from abiq.tasks.registry import TaskType

__all__ = ['CANCELLED', 'Claimed', 'Outcome', 'Timing', 'error']


class Outcome(enum.Enum):
    """What happened at a job boundary."""

    GO = 'go'  # the next job started
    LOST = 'lost'  # another worker holds the task now
    CANCELLED = 'cancelled'  # someone asked the task to stop
    STOPPED = 'stopped'  # the worker is stopping: the task was given back
    ENDED = 'ended'  # the last job finished, and the task with it


@dataclass
class Claimed:
    """A claimed task being run: what every job boundary needs."""

    task: Any
    task_type: TaskType
    params: dict[str, Any]
    worker_id: str
    jobs: list[Any]
    should_stop: Callable[[], bool]
    chain: bool = False  # claim the next task in the transaction that ends this one
    successor: Any = None  # the task claimed so


@dataclass(frozen=True)
class Timing:
    """How long leases and ended tasks last, and how often a task may be
    claimed before it fails."""

    retention: int
    lease_seconds: float
    max_attempts: int


def error(code: str, message: str, causes: list[str] | None = None) -> dict:
    """Return one entry of a task's errors."""
    return {'code': code, 'message': message, 'causes': causes or []}


# NOTE: what a runner's job answers for a job that saw the cancel flag: the task
# ends cancelled, not failed.
CANCELLED: dict = {}
