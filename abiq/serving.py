"""Run waitress with a graceful stop: SIGTERM drains, then exits.

On SIGTERM (or SIGINT) the listening socket closes at once, so a load
balancer moves new connections elsewhere; requests already received run to
the end and their answers are sent, for up to ``drain`` seconds; then the
process exits.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import waitress
from waitress import wasyncore

__all__ = ['serve']


def _busy(server: Any) -> bool:
    dispatcher = server.task_dispatcher
    if dispatcher.active_count or dispatcher.queue:
        return True
    return any(
        getattr(channel, 'requests', None) or getattr(channel, 'total_outbufs_len', 0)
        for channel in list(server._map.values())
        if channel is not server
    )


def serve(app: Any, host: str, port: int, threads: int, drain: float) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then drain and return."""
    server = waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident='abiq',
        clear_untrusted_proxy_headers=False,
    )
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    deadline = None
    try:
        while True:
            wasyncore.loop(timeout=0.2, map=server._map, count=1)
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
