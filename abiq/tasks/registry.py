"""Task types: the ordered jobs a task runs, and what it produces.

A task type declares how to plan its jobs from a request (``plan``), which
function runs each job type (``handlers``), and optionally the entity a
finished task leads to (``result``). Every job function must be idempotent:
the engine guarantees at-least-once execution, and a job interrupted by a
crash runs again from its start on another worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

__all__ = ['JobContext', 'JobError', 'JobSpec', 'TaskType']


class JobError(Exception):
    """A job failed in a way the client should read: a code and a message."""

    def __init__(self, code: str, message: str, causes: list[str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.causes = causes or []


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside a job that noticed its task was cancelled."""


@dataclass(frozen=True)
class JobSpec:
    """One planned job: its type, description and parameters."""

    type: str
    description: str = ''
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobContext:
    """What a job function receives.

    Attributes:
        task_id: the task's id.
        attempt: the task's attempt (1, then +1 per retry).
        task_params: the parameters the task was submitted with.
        params: this job's parameters.
        position: this job's 1-based position.
        cancelled: returns True once someone asked the task to stop; long
            jobs may check it and raise :class:`Cancelled`.
        log: appends a line to the task's log.
    """

    task_id: str
    attempt: int
    task_params: dict[str, Any]
    params: dict[str, Any]
    position: int
    cancelled: Callable[[], bool]
    log: Callable[[str], None]


JobFunction = Callable[[JobContext], None]


@dataclass(frozen=True)
class TaskType:
    """A kind of server-run task.

    Args:
        name: the task ``type`` clients see (``DEPLOY``, ``SLEEP``).
        handlers: job type -> the function that runs it.
        result: task params -> (kind, id) of the entity a finished task
            leads to (303 See Other), or None for tasks without a result.
        on_end: called with (task id, task params, final status) once the
            task has ended, however it ended (releases locks, sets states).
    """

    name: str
    handlers: dict[str, JobFunction]
    result: Callable[[dict[str, Any]], tuple[str, str] | None] | None = None
    on_end: Callable[[str, dict[str, Any], str], None] | None = None
