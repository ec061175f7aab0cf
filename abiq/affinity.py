"""Keeping a serving (or worker) process on one CPU.

A CPython process runs Python on one CPU at a time (the GIL); its threads
take turns, and a thread that waits for a socket or for SQLite gives the
GIL up and must be handed it back. When the threads sit on different CPUs
every handoff is a wake-up across CPUs, and on a virtual machine that is
an interrupt between virtual CPUs: measured on the 2-core bench machine,
a fixed document went from 10,700 requests/s to 1,300 and a task's GET
from 3,700 to 280, with 10-15 times the CPU per request, when the threads
were free to move (docs/performance.rst). Kept on one CPU, the handoffs
stay local and the process loses nothing it could use: it never runs
Python on two CPUs at once anyway.

``auto`` (the default of ``abiq serve`` and ``abiq worker``) keeps serving
process *k* of ``--processes N`` on the *k*-th CPU it may use (round robin),
so N processes spread over the machine. A lone process (``abiq worker``, or
``abiq serve`` of one process) takes the first CPU, from the one it starts
on, that no other lone abiq process of the same user holds; when every CPU
is held, the one it starts on. ``none`` leaves placement to the operating
system, as does a machine with one CPU or without ``sched_setaffinity``
(not Linux).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

__all__ = ['CHOICES', 'add_option', 'pin_process']

#: the values of ``--cpu-affinity``
CHOICES = ('auto', 'none')

# NOTE: the lock file of each CPU a lone process holds, open while it runs
# (the kernel lets the lock go when the process ends, however it ends).
_held: list[int] = []


def add_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--cpu-affinity`` to a command (``abiq serve``, ``abiq worker``,
    the bench's servers)."""
    parser.add_argument(
        '--cpu-affinity',
        choices=CHOICES,
        default='auto',
        help='auto: keep each process on one CPU (its threads take turns '
        'on the GIL; handoffs across CPUs are slow); none: let the OS move them',
    )


def pin_process(
    choice: str, index: int | None = None, locks: Path | None = None
) -> int | None:
    """Keep every thread of this process, and those it starts later, on
    one CPU; return it (None: not pinned).

    Args:
        choice: ``auto`` or ``none`` (:data:`CHOICES`).
        index: this process's number among serving processes (``None``:
            it runs alone, and takes a CPU no other lone process holds).
        locks: where lone processes hold their CPUs (default: a folder of
            this user's in the temporary directory).
    """
    setaffinity = getattr(os, 'sched_setaffinity', None)
    if choice == 'none' or setaffinity is None:
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    if index is not None:
        cpu = allowed[index % len(allowed)]
    else:
        cpu = _unheld(allowed, _current(allowed), locks or _lock_folder())
    # NOTE: each thread has an affinity of its own, and a new thread takes
    # its creator's: set on every thread there is, all later ones follow.
    for task in Path('/proc/self/task').iterdir():
        try:
            setaffinity(int(task.name), {cpu})
        except ProcessLookupError:  # the thread ended meanwhile
            continue
    return cpu


def _lock_folder() -> Path:
    return Path(tempfile.gettempdir()) / f'abiq-cpus-{os.getuid()}'


def _unheld(allowed: list[int], current: int, folder: Path) -> int:
    """Hold the first CPU from ``current`` on that no other lone process
    holds; return it (``current`` when all are held or none can be)."""
    # NOTE: two workers started together often start on the same CPU; each
    # kept where it started, they shared one CPU and left the other idle
    # (~40% fewer tasks/s on the bench machine).
    import fcntl  # NOTE: here: only Linux gets this far (sched_setaffinity)

    start = allowed.index(current)
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return current
    for cpu in allowed[start:] + allowed[:start]:
        try:
            fd = os.open(folder / f'cpu{cpu}', os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _held.append(fd)
        return cpu
    return current


def _current(allowed: list[int]) -> int:
    """Return the CPU this thread runs on now (field 39 of its stat)."""
    try:
        stat = Path('/proc/thread-self/stat').read_text()
        cpu = int(stat.rsplit(')', 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return allowed[0]
    return cpu if cpu in allowed else allowed[0]
