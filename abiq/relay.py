"""Wake-ups between the processes of ``abiq serve --processes N``.

Each serving process holds one end of a socket pair; the parent holds the
other ends. A process that changes a task sends one byte; the parent sends
one byte to every other process; there a thread turns it into an in-process
:meth:`~abiq.tasks.notify.Changes.notify`, so long polls and idle workers
wake within a millisecond rather than at their next re-read of the database
(SQLite has no LISTEN/NOTIFY). A byte only says "some task changed": when a
buffer is full a wake-up is already on its way, so a byte that does not fit
is dropped.

A process sends :data:`READY` once it is about to serve, so the parent can
tell a process that cannot start from one that died later. The pair also
tells a process that its parent is gone (end of file): it then stops as on
SIGTERM, so no serving process outlives the parent.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from collections.abc import Iterable
from typing import Protocol

__all__ = ['READY', 'Relay', 'forward']

log = logging.getLogger('abiq')

_WAKE = b'!'
READY = b'+'
_READ = 4096


class Signal(Protocol):
    """What a relay wakes (an :class:`abiq.tasks.notify.Changes`)."""

    def notify(self) -> None:
        """Wake every waiter."""


class Relay:
    """A serving process's end of the relay.

    Args:
        sock: this process's end of the pair its parent made.
        changes: the process's change signal, woken by the other processes.
        orphaned: called when the parent is gone (default: stop this
            process as SIGTERM would: drain, then exit).
    """

    def __init__(
        self,
        sock: socket.socket,
        changes: Signal,
        orphaned: Callable[[], None] | None = None,
    ) -> None:
        self._sock = sock
        self.changes = changes
        self._orphaned = orphaned or _terminate
        self._thread = threading.Thread(
            target=self._listen, name='abiq-relay', daemon=True
        )

    def start(self) -> Relay:
        """Start waking ``changes`` on the others' changes; return self."""
        self._thread.start()
        return self

    def ready(self) -> None:
        """Tell the parent this process started (it wakes the others too)."""
        self._send(READY)

    def announce(self) -> None:
        """Tell the other processes that a task changed."""
        self._send(_WAKE)

    def _send(self, byte: bytes) -> None:
        try:
            self._sock.send(byte, socket.MSG_DONTWAIT)
        except BlockingIOError:
            pass  # NOTE: a wake-up is already queued; one more says nothing
        except OSError:
            pass  # NOTE: the parent is gone; _listen stops this process

    def _listen(self) -> None:
        while True:
            try:
                data = self._sock.recv(_READ)
            except OSError:
                data = b''
            if not data:
                break
            self.changes.notify()
        self._orphaned()


def _terminate() -> None:
    log.warning('the parent process is gone; stopping (pid %d)', os.getpid())
    os.kill(os.getpid(), signal.SIGTERM)


def forward(source: socket.socket, others: Iterable[socket.socket]) -> bytes:
    """Read what one process sent; wake each of the others once.

    ``source`` and ``others`` are the parent's non-blocking ends.

    Returns:
        The bytes read: empty at end of file (that process is ending).
    """
    try:
        data = source.recv(_READ)
    except BlockingIOError:
        return _WAKE  # NOTE: a spurious wake-up; nothing is lost
    except OSError:
        data = b''
    if not data:
        return data
    for other in others:
        try:
            other.send(_WAKE)
        except OSError:
            pass  # NOTE: full (a wake-up is queued) or ending (it is reaped)
    return data
