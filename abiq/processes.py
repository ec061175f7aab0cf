"""``abiq serve --processes N``: N serving processes on one listening socket.

One waitress process uses one core at most (the GIL). The parent opens N
listening sockets on the port (``SO_REUSEPORT``: the kernel spreads new
connections evenly over them, see :func:`listen`), then starts N ordinary
``abiq serve`` processes, each inheriting one and serving it with its own
threads, connection limits and graceful drain (:mod:`abiq.serving`). The
parent serves nothing; it

* relays task wake-ups between the processes (:mod:`abiq.relay`), so a long
  poll or an idle worker in one wakes when another changes a task;
* spreads ``--workers`` over them: the count is the total, as with one
  process, so the database sees as many claimers as before;
* restarts a process that dies after it started serving; one that dies
  before (a bad setting, an old schema: it would fail again) stops them
  all, and the parent exits with its status (as one process would);
* on SIGTERM or SIGINT closes its copies of the sockets and sends SIGTERM to
  every process, which drains and exits; after ``--drain`` plus
  :data:`GRACE` seconds the ones left are killed; then it exits 0.

A process whose parent is gone stops by itself (the relay reaches its end),
so none is left behind even when the parent is killed.
"""

from __future__ import annotations

import argparse
import logging
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from abiq.relay import READY
from abiq.relay import forward

__all__ = ['listen', 'run', 'share']

log = logging.getLogger('abiq')

GRACE = 5.0
_TICK = 0.2
_BACKLOG = 1024  # waitress's own default


def listen(host: str, port: int, count: int) -> list[socket.socket]:
    """Open ``count`` listening sockets on one port, one per process.

    With ``SO_REUSEPORT`` the kernel spreads new connections evenly over
    the sockets (by a hash of their addresses). One socket shared by every
    process gives each connection to whichever process wakes first: with
    keep-alive clients one process could hold nearly all of them (16 of 16
    in measurements) and the others idle.
    """
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    # NOTE: a plain bind first, so a port another group holds (an abiq
    # already running there) fails as with one process, instead of the two
    # silently sharing its connections; it also turns port 0 into one port.
    with socket.socket(family) as probe:
        probe.bind((host, port))
        port = probe.getsockname()[1]
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            socks.append(
                socket.create_server(
                    (host, port), family=family, backlog=_BACKLOG, reuse_port=True
                )
            )
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


def share(total: int, parts: int, index: int) -> int:
    """Return how many of ``total`` workers process ``index`` of ``parts`` runs."""
    return total // parts + (1 if index < total % parts else 0)


@dataclass
class _Child:
    number: int
    popen: subprocess.Popen
    relay: socket.socket
    started: bool = False  # it sent READY


class _Supervisor:
    def __init__(self, args: argparse.Namespace, socks: list[socket.socket]) -> None:
        self.args = args
        self.socks = socks
        self.port = socks[0].getsockname()[1]
        self.children: dict[int, _Child] = {}
        self.selector = selectors.DefaultSelector()
        self.stop_asked = False
        self.kill_at: float | None = None
        self.code = 0

    def command(self, number: int, listen_fd: int, relay_fd: int) -> list[str]:
        args = self.args
        workers = share(args.workers, args.processes, number)
        return [
            *(sys.executable, '-m', 'abiq.cli', 'serve'),
            *('--host', args.host, '--port', str(self.port)),
            *('--threads', str(args.threads), '--workers', str(workers)),
            *('--drain', str(args.drain)),
            *('--connection-limit', str(args.connection_limit)),
            *('--channel-timeout', str(args.channel_timeout)),
            *('--listen-fd', str(listen_fd), '--relay-fd', str(relay_fd)),
            *('--cpu-affinity', args.cpu_affinity, '--process-index', str(number)),
        ]

    def start(self, number: int) -> _Child:
        mine, theirs = socket.socketpair()
        # NOTE: a replacement inherits the same socket: the connections that
        # came meanwhile wait in its backlog.
        listen_fd, relay_fd = self.socks[number].fileno(), theirs.fileno()
        try:
            popen = subprocess.Popen(
                self.command(number, listen_fd, relay_fd),
                pass_fds=(listen_fd, relay_fd),
            )
        finally:
            theirs.close()
        mine.setblocking(False)
        child = _Child(number, popen, mine)
        self.children[number] = child
        self.selector.register(mine, selectors.EVENT_READ, child)
        return child

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._ask_stop)
        for number in range(self.args.processes):
            self.start(number)
        pids = ', '.join(str(child.popen.pid) for child in self.children.values())
        print(
            f'abiq: {self.args.processes} processes serving on '
            f'{self.args.host}:{self.port} (pids {pids})',
            flush=True,
        )
        while self.children:
            self._relay()
            if self.stop_asked and self.kill_at is None:
                self._stop()
            for child in list(self.children.values()):
                if child.popen.poll() is not None:
                    self._ended(child)
            if self.kill_at is not None and time.monotonic() > self.kill_at:
                self._kill()
        return self.code

    def _ask_stop(self, *_: object) -> None:
        self.stop_asked = True

    def _relay(self) -> None:
        for key, _ in self.selector.select(_TICK):
            child = key.data
            others = [
                each.relay for each in self.children.values() if each is not child
            ]
            data = forward(child.relay, others)
            if not data:
                self.selector.unregister(child.relay)
            elif READY in data:
                child.started = True

    def _stop(self) -> None:
        # NOTE: new connections now go nowhere here, as with one process.
        for sock in self.socks:
            sock.close()
        self.kill_at = time.monotonic() + self.args.drain + GRACE
        for child in self.children.values():
            if child.popen.poll() is None:
                child.popen.send_signal(signal.SIGTERM)

    def _kill(self) -> None:
        for child in self.children.values():
            if child.popen.poll() is None:
                pid = child.popen.pid
                log.warning('process %d did not stop in time; killing it', pid)
                child.popen.kill()

    def _ended(self, child: _Child) -> None:
        del self.children[child.number]
        if child.relay.fileno() in self.selector.get_map():
            self.selector.unregister(child.relay)
        child.relay.close()
        if self.kill_at is not None:
            return
        code = child.popen.returncode
        if not child.started:
            log.error(
                'process %d could not start (exit status %s); stopping all',
                child.popen.pid,
                code,
            )
            self.code = code if code and code > 0 else 1
            self._stop()
            return
        log.warning(
            'process %d ended with code %s; starting another', child.popen.pid, code
        )
        self.start(child.number)


def run(args: argparse.Namespace) -> int:
    """Serve with ``args.processes`` processes until SIGTERM or SIGINT.

    Returns:
        The exit status: 0 after a stop asked for; that of a process that
        could not start (1 if it was killed).
    """
    socks = listen(args.host, args.port, args.processes)
    try:
        return _Supervisor(args, socks).run()
    finally:
        for sock in socks:
            sock.close()
