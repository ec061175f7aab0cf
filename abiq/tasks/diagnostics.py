"""The diagnostic ``SLEEP`` task: jobs that wait, and fail on request.

It exists to test and demonstrate the task lifecycle (progress, cancel,
retry, crash recovery) without touching any hypervisor. Administrators start
it through the root's ``diagnostics`` link.
"""

from __future__ import annotations

import time
from typing import Any

from abiq.tasks.registry import Cancelled
from abiq.tasks.registry import JobContext
from abiq.tasks.registry import JobError
from abiq.tasks.registry import JobSpec
from abiq.tasks.registry import TaskType

__all__ = ['SLEEP', 'sleep_jobs']

# NOTE: a sleeping job looks at the cancel flag this often, so cancelling a
# long SLEEP does not wait for the whole job.
_CHECK_EVERY = 0.1


def sleep_jobs(doc: dict[str, Any]) -> list[JobSpec]:
    """Plan the jobs of a ``sleep`` request document."""
    count, seconds = doc['jobs'], doc.get('seconds', 0)
    return [
        JobSpec('SLEEP', f'Sleep {seconds} s (job {number} of {count})')
        for number in range(1, count + 1)
    ]


def _sleep(context: JobContext) -> None:
    params = context.task_params
    deadline = time.monotonic() + float(params.get('seconds', 0))
    while (left := deadline - time.monotonic()) > 0:
        if context.cancelled():
            raise Cancelled
        time.sleep(min(left, _CHECK_EVERY))
    fail_job = params.get('failJob')
    if fail_job == context.position and context.attempt <= params.get(
        'failAttempts', 1
    ):
        raise JobError(
            'SLEEP-1',
            f'Job {context.position} failed on purpose (attempt {context.attempt})',
        )


SLEEP = TaskType('SLEEP', handlers={'SLEEP': _sleep})
