"""The serving loop (abiq.serving) waits for a task's thread that is
sending its answer, instead of spinning, and still delivers every byte of
answers larger than the socket takes at once."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator

import pytest
import waitress
from waitress import wasyncore

from abiq.serving import _Channel
from tests.engine_support import eventually

CHUNK = 64 * 1024
CHUNKS = 128  # NOTE: 8 MiB, far more than a loopback socket buffers


def _streaming_app(environ, start_response):  # noqa: ANN001, ANN202
    start_response('200 OK', [('Content-Length', str(CHUNK * CHUNKS))])
    return (bytes([index % 251]) * CHUNK for index in range(CHUNKS))


class _Served:
    """A waitress server with abiq's channel, its loop in a thread."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.server = waitress.create_server(
            app, host='127.0.0.1', port=0, threads=2, ident='test'
        )
        self.server.channel_class = _Channel
        self.port = self.server.effective_port
        self.loops = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            wasyncore.loop(timeout=0.2, use_poll=True, map=self.server._map, count=1)
            self.loops += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        for channel in list(self.server._map.values()):
            channel.close()


@pytest.fixture
def served() -> Iterator[_Served]:
    server = _Served(_streaming_app)
    yield server
    server.close()


def test_an_answer_larger_than_the_socket_takes_arrives_whole(served):
    conn = http.client.HTTPConnection('127.0.0.1', served.port, timeout=30)
    for _ in range(2):  # NOTE: and the connection serves the next one
        conn.request('GET', '/')
        resp = conn.getresponse()
        body = b''
        while piece := resp.read(7919):  # NOTE: a reader slower than the writer
            body += piece
        assert resp.status == 200
        assert body == b''.join(bytes([i % 251]) * CHUNK for i in range(CHUNKS))
    conn.close()


def _channel(served: _Served) -> _Channel | None:
    channels = (c for c in served.server._map.values() if isinstance(c, _Channel))
    return next(channels, None)


class _Sender:
    """A task's thread inside write_soon: it holds the channel's buffer."""

    def __init__(self, channel: _Channel) -> None:
        self.holding, self.done = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, args=(channel,))
        self._thread.start()
        self.holding.wait(5)

    def _hold(self, channel: _Channel) -> None:
        with channel.outbuf_lock:
            self.holding.set()
            self.done.wait(5)

    def release(self) -> None:
        self.done.set()
        self._thread.join(5)


def test_the_loop_waits_while_a_tasks_thread_holds_the_answer(served):
    conn = http.client.HTTPConnection('127.0.0.1', served.port, timeout=30)
    conn.connect()
    eventually(lambda: _channel(served) is not None)
    channel = _channel(served)
    # NOTE: its request runs and its answer is in the buffer, being sent.
    with channel.requests_lock:
        channel.requests = [object()]
    channel.total_outbufs_len = 10
    sender = _Sender(channel)
    try:
        started = served.loops
        time.sleep(0.5)  # NOTE: the measured interval itself, not a wait
        turns = served.loops - started
        assert channel.writable() is False
        channel.will_close = True  # NOTE: a channel that must close does
        assert channel.writable()
        channel.will_close = False
    finally:
        sender.release()
    # NOTE: once the buffer is free, the loop flushes it.
    assert channel.writable()
    channel.total_outbufs_len = 0
    with channel.requests_lock:
        channel.requests = []
    # NOTE: a spinning loop turns thousands of times in 0.5 s; one that
    # waits turns at its 0.2 s timeout (and at the client's few events).
    assert turns <= 10, turns
    conn.close()
