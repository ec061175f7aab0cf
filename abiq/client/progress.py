"""Showing a task's progress: a bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from abiq.client.tasks import Task

__all__ = ['describe', 'progress_printer']

BAR = 30


def describe(task: Task) -> str:
    """One line about a task: status, percentage and the job in hand."""
    jobs = task.get('jobs') or []
    current = next(
        (job for job in jobs if job['status'] == 'running'),
        next((job for job in jobs if job['status'] == 'pending'), None),
    )
    percent = task.get('progress')
    parts = [task.state]
    if percent is not None:
        parts.append(f'{percent}%')
    if current is not None and not task.done:
        parts.append(f'{current["type"]} (job {current["id"]} of {len(jobs)})')
    return ' '.join(parts)


@contextmanager
def progress_printer(stream: TextIO) -> Iterator[Callable[[Task], None]]:
    """Yield an ``on_progress`` callback that draws on ``stream``.

    On a terminal one line is redrawn: a bar, the percentage and the job
    running; otherwise every change is a line of its own, for logs.
    """
    tty = stream.isatty()
    drawn = False

    def show(task: Task) -> None:
        nonlocal drawn
        text = describe(task)
        if not tty:
            stream.write(f'task {task["id"]}: {text}\n')
        else:
            filled = BAR * (task.get('progress') or 0) // 100
            bar = '#' * filled + '.' * (BAR - filled)
            stream.write(f'\r\033[K[{bar}] {text}')
            drawn = True
        stream.flush()

    try:
        yield show
    finally:
        if drawn:
            stream.write('\n')
            stream.flush()
