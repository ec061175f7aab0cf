"""Run waitress with a graceful stop: SIGTERM drains, then exits.

On SIGTERM (or SIGINT) the listening socket closes at once, so a load
balancer moves new connections elsewhere; requests already received run to
the end and their answers are sent, for up to ``drain`` seconds; then the
process exits.

Connections are bounded: at most ``connection_limit`` are open; one idle or
half-sent for ``channel_timeout`` seconds is closed; near the limit the ones
idle the longest are closed to make room, so a flood of idle connections
never shuts normal clients out.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel

__all__ = ['Limits', 'serve']

log = logging.getLogger('abiq')


@dataclass(frozen=True)
class Limits:
    """How many connections are served, and how long one may idle."""

    connection_limit: int
    channel_timeout: int


def _busy(server: Any) -> bool:
    dispatcher = server.task_dispatcher
    if dispatcher.active_count or dispatcher.queue:
        return True
    return any(
        getattr(channel, 'requests', None) or getattr(channel, 'total_outbufs_len', 0)
        for channel in list(server._map.values())
        if channel is not server
    )


def _make_room(server: Any) -> None:
    """Near the limit, close the connections idle the longest."""
    room = max(1, server.adj.connection_limit // 20)
    if len(server._map) < server.adj.connection_limit - room:
        return
    idle = [
        channel
        for channel in server._map.values()
        if isinstance(channel, HTTPChannel)
        and not (channel.requests or channel.total_outbufs_len or channel.will_close)
    ]
    idle.sort(key=lambda channel: channel.last_activity)
    for channel in idle[:room]:
        # NOTE: as waitress's own idle timeout does: closed on the next turn.
        channel.will_close = True


def _allow_descriptors(limits: Limits) -> None:
    """Raise the soft limit on open files to fit the connection limit."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on this platform
        return
    # NOTE: many hosts start services with a soft limit of 1024 files; past
    # it accept() fails and waitress retries it on every turn of its loop.
    wanted = limits.connection_limit + 128  # the database, logs, pipes
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    allowed = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (allowed, hard))
    if allowed < wanted:
        log.warning(
            'open files are limited to %d: fewer than --connection-limit %d needs',
            allowed,
            limits.connection_limit,
        )


def _create_server(app: Any, host: str, port: int, threads: int, limits: Limits) -> Any:
    _allow_descriptors(limits)
    server = waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident='abiq',
        clear_untrusted_proxy_headers=False,
        connection_limit=limits.connection_limit,
        channel_timeout=limits.channel_timeout,
        # NOTE: idle connections are looked for this often, so one is closed
        # between channel_timeout and 1.5 times that after its last byte.
        cleanup_interval=max(1, limits.channel_timeout // 2),
    )
    return server


def serve(
    app: Any, host: str, port: int, threads: int, drain: float, limits: Limits
) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then drain and return."""
    server = _create_server(app, host, port, threads, limits)
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    deadline = None
    try:
        while True:
            # NOTE: poll, not select: select fails past 1024 descriptors.
            wasyncore.loop(timeout=0.2, use_poll=True, map=server._map, count=1)
            _make_room(server)
            if not stopping.is_set():
                continue
            if deadline is None:
                deadline = time.monotonic() + drain
                server.close()  # stop accepting; in-flight requests go on
            if not _busy(server) or time.monotonic() > deadline:
                break
    finally:
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        for channel in list(server._map.values()):
            channel.close()
