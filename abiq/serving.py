"""Run waitress with a graceful stop: SIGTERM drains, then exits.

On SIGTERM (or SIGINT) the listening socket closes at once, so a load
balancer moves new connections elsewhere; requests already received run to
the end and their answers are sent, for up to ``drain`` seconds; then the
process exits.

Connections are bounded: at most ``connection_limit`` are open; one idle or
half-sent for ``channel_timeout`` seconds is closed; near the limit the ones
idle the longest are closed to make room, so a flood of idle connections
never shuts normal clients out. A request whose framing is ambiguous
(RFC 9112 6.1, 6.3) is answered 400 and its connection closed.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.parser import get_header_lines
from waitress.task import WSGITask

from abiq.errors import bad_request
from abiq.logfilters import quiet_queue_warnings

__all__ = ['Limits', 'serve']

log = logging.getLogger('abiq')

_FRAMING = 'abiq.framing'


@dataclass(frozen=True)
class Limits:
    """How many connections are served, and how long one may idle."""

    connection_limit: int
    channel_timeout: int


class _Parser(HTTPRequestParser):
    """Waitress's parser, noting a request whose body length is ambiguous."""

    framing: str | None = None

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        # APPSEC: waitress frames such a request by Transfer-Encoding and
        # keeps the connection; a proxy that framed it by Content-Length
        # would see the rest of the body as the next request (smuggling).
        # The names come from the raw header: waitress drops the TE field.
        # PERF: most requests have no Transfer-Encoding anywhere in their
        # header; theirs are not split into lines again.
        if b'transfer-encoding' not in header_plus.lower():
            return
        names = {
            line.split(b':', 1)[0].lower()
            for line in get_header_lines(header_plus.partition(b'\r\n')[2])
        }
        if b'transfer-encoding' not in names:
            return
        if b'content-length' in names:
            self.framing = (
                'A request may not carry both Content-Length and '
                'Transfer-Encoding (RFC 9112 6.3)'
            )
        elif self.version == '1.0':
            self.framing = (
                'An HTTP/1.0 request may not carry Transfer-Encoding (RFC 9112 6.1)'
            )
        if self.framing:
            # NOTE: waitress then answers with Connection: close and drops
            # whatever else the client sent on this connection.
            self.headers['CONNECTION'] = 'close'


class _Task(WSGITask):
    """Waitress's task, passing what the parser noted on to the app, and
    keeping the connection open after an answer without a body."""

    _bodiless = False

    def get_environment(self) -> dict[str, Any]:
        environ = super().get_environment()
        if self.request.framing:
            environ[_FRAMING] = self.request.framing
        return environ

    def build_response_header(self) -> bytes:
        """Build the status line and headers (waitress's own)."""
        # NOTE: waitress closes every HTTP/1.1 connection whose answer has
        # no Content-Length, though a 204 or 304 may not carry one and ends
        # with its headers (RFC 9112 6.3): each conditional poll would cost
        # a new connection. Only that reason to close is ignored here.
        self._bodiless = (
            self.version == '1.1'
            and not self.has_body
            and not self.close_on_finish
            and self.request.headers.get('CONNECTION', '').lower() != 'close'
        )
        try:
            return super().build_response_header()
        finally:
            self._bodiless = False

    def set_close_on_finish(self) -> None:
        """Close after this answer, unless it is bodiless (see above)."""
        if not self._bodiless:
            super().set_close_on_finish()


class _Channel(HTTPChannel):
    """Waitress's connection, with the parser and task above."""

    parser_class = _Parser
    task_class = _Task

    def writable(self) -> bool:
        """Tell the loop to flush, unless a task's thread holds the output
        buffer (it is sending from it itself)."""
        wanted = super().writable()
        if wanted and self.requests and not self.will_close:
            # NOTE: the socket is writable, so poll returned at once and the
            # flush found the buffer taken: the loop spun ~10 times a POST
            # (~120 us of CPU), taking the GIL from the very thread it
            # waited for. That thread pulls the trigger when its task ends
            # or it waits for room, and the loop looks again then.
            if not self.outbuf_lock.acquire(blocking=False):
                return False
            self.outbuf_lock.release()
        return bool(wanted)


class _RefuseBadFraming:
    """Falcon middleware: answer 400 to a request :class:`_Parser` noted."""

    def process_request(self, req: Any, resp: Any) -> None:
        """Refuse the request when its framing is ambiguous."""
        reason = req.env.get(_FRAMING)
        if reason:
            raise bad_request('400-BAD-REQUEST', reason)


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


def _create_server(
    app: Any,
    host: str,
    port: int,
    threads: int,
    limits: Limits,
    sock: socket.socket | None,
) -> Any:
    _allow_descriptors(limits)
    quiet_queue_warnings()
    app.add_middleware(_RefuseBadFraming())
    # NOTE: a socket opened by the parent of several processes (abiq.processes)
    # is served as it is; waitress refuses host and port beside it.
    where = {'sockets': [sock]} if sock is not None else {'host': host, 'port': port}
    server = waitress.create_server(
        app,
        **where,
        threads=threads,
        ident='abiq',
        clear_untrusted_proxy_headers=False,
        connection_limit=limits.connection_limit,
        channel_timeout=limits.channel_timeout,
        # NOTE: idle connections are looked for this often, so one is closed
        # between channel_timeout and 1.5 times that after its last byte.
        cleanup_interval=max(1, limits.channel_timeout // 2),
    )
    server.channel_class = _Channel
    return server


def serve(
    app: Any,
    host: str,
    port: int,
    threads: int,
    drain: float,
    limits: Limits,
    sock: socket.socket | None = None,
) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then drain and return.

    ``sock``, when given, is a listening socket to serve instead of binding
    ``host`` and ``port`` (one shared by several processes)."""
    server = _create_server(app, host, port, threads, limits, sock)
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
