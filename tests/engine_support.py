"""Helpers for tests that run task workers: pools, deadlines, test task types."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from abiq.tasks.engine import Engine
from abiq.tasks.registry import JobContext
from abiq.tasks.registry import TaskType
from abiq.workers import WorkerPool


def eventually(check: Callable[[], Any], timeout: float = 20.0, interval=0.02) -> Any:
    """Poll ``check`` until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, 'condition not met before the deadline'
        time.sleep(interval)


@contextmanager
def running_workers(engine: Engine, count: int = 2):
    """Run a worker pool for the duration of a with-block."""
    pool = WorkerPool(engine, count, poll_interval=0.05)
    pool.start()
    try:
        yield pool
    finally:
        pool.stop(timeout=30)


def _noop(context: JobContext) -> None:
    context.log(f'job {context.position} ran')


# A task type with a result, for the 303 path before the cloud domain exists:
# it "produces" the enterprise named in its parameters.
PRODUCE = TaskType(
    'PRODUCE',
    handlers={'STEP': _noop},
    result=lambda params: ('enterprise', str(params['enterprise'])),
)
