"""``abiq serve --processes 2``: two serving processes on one socket, that
both answer, wake each other's long polls, and stop together."""

from __future__ import annotations

import http.client
import os
import signal
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.owners import children
from bench.owners import owner
from bench.owners import unread
from tests.engine_support import eventually
from tests.processes import Cluster
from tests.processes import free_port
from tests.served import run_abiq
from tests.support import VENDOR_TYPE
from tests.support import basic
from tests.support import validate_document

TASK = 'application/vnd.abiq.task+json; version=2'
TASKS = 'application/vnd.abiq.tasks+json; version=2'


@pytest.fixture
def cluster(database_url, tmp_path):
    running = Cluster(database_url, tmp_path)
    yield running
    running.stop()


@pytest.fixture
def opened():
    """The test's connections, closed at its end."""
    connections: list[Connection] = []
    yield connections
    for connection in connections:
        connection.close()


class Connection:
    """A keep-alive connection that knows which process holds its other
    end (read from /proc by :mod:`bench.owners`); it validates every answer."""

    def __init__(self, port: int, codec) -> None:
        self.port, self.codec = port, codec
        self.http = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        self.http.connect()

    def send(self, method: str, path: str, doc: dict | None = None, **headers) -> None:
        """Send a request as alice (its answer is read by :meth:`answer`)."""
        body = orjson.dumps(doc) if doc is not None else None
        headers = {
            'Authorization': basic('alice'),
            'Accept': TASK,
            **{name.replace('_', '-'): value for name, value in headers.items()},
        }
        if body is not None:
            headers['Content-Type'] = TASK
        self.http.request(method, path, body, headers)

    def answer(self) -> tuple[int, Any, dict | None]:
        """Read the answer: status, headers and (validated) document."""
        response = self.http.getresponse()
        body, fields = response.read(), response.headers
        kind = VENDOR_TYPE.match(fields.get('Content-Type', ''))
        if kind is None:
            assert not body, (response.status, body[:300])
            return response.status, fields, None
        doc = validate_document(
            self.codec, body, kind['name'], kind['fmt'], int(kind['v'])
        )
        return response.status, fields, doc

    def call(self, method: str, path: str, doc: dict | None = None, **headers):
        self.send(method, path, doc, **headers)
        return self.answer()

    def owner(self, pids: list[int]) -> int | None:
        """Return which of ``pids`` holds the server end, if one does yet."""
        return owner(self.http.sock, pids)

    def read_by_server(self) -> bool:
        """Tell whether the server has read everything sent so far."""
        return unread(self.http.sock) == 0

    def close(self) -> None:
        self.http.close()


def alive(pid: int) -> bool:
    """Tell whether a process exists and is not a zombie."""
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(')')[2].split()[0] != 'Z'


def serve_two(cluster: Cluster, *args: str) -> tuple[int, object, list[int]]:
    """Start ``abiq serve --processes 2``; return its port, the parent and
    the pids of the two serving processes."""
    port = free_port()
    parent = cluster.serve(port, '--processes', '2', *args)
    pids = eventually(lambda: len(children(parent.pid)) == 2 and children(parent.pid))
    return port, parent, pids


def one_in_each(
    port: int, codec, pids: list[int], opened: list[Connection]
) -> dict[int, Connection]:
    """Open connections until each process holds one; return one per pid."""
    held: dict[int, Connection] = {}

    def another() -> bool:
        connection = Connection(port, codec)
        opened.append(connection)
        status, _, doc = connection.call('GET', '/api/tasks', Accept=TASKS)
        assert status == 200, doc
        owner = connection.owner(pids)
        assert owner in pids
        held.setdefault(owner, connection)
        return len(held) == len(pids)

    eventually(another, timeout=60, interval=0)
    return held


def test_two_processes_answer_requests_on_one_port(app, world, cluster, opened):
    port, _, pids = serve_two(cluster)
    held = one_in_each(port, app.services.codec, pids, opened)
    assert sorted(held) == sorted(pids)


def test_a_long_poll_in_one_process_wakes_on_a_change_through_the_other(
    app, world, cluster, opened
):
    port, _, pids = serve_two(cluster)
    first, second = one_in_each(port, app.services.codec, pids, opened).values()
    created = {'type': 'AGENT', 'description': 'an agent', 'status': 'running'}
    status, fields, task = first.call('POST', '/api/tasks', created)
    assert status == 201, task
    path = fields['Location'].split(f':{port}', 1)[1]
    status, fields, task = second.call('GET', path)
    assert status == 200, task
    second.send('GET', path, Prefer='wait=60', If_None_Match=fields['ETag'])
    answers: list = []
    waiting = threading.Thread(target=lambda: answers.append(second.answer()))
    waiting.start()
    # NOTE: the long poll is in the second process before the task changes
    eventually(second.read_by_server)

    status, _, changed = first.call('PUT', path, {'progress': 60})
    assert status == 200, changed
    waiting.join(60)
    [(status, _, polled)] = answers
    assert status == 200, polled
    assert polled['progress'] == 60


def test_sigterm_drains_and_stops_every_process(app, world, cluster, opened):
    port, parent, pids = serve_two(cluster, '--workers', '2')
    held = one_in_each(port, app.services.codec, pids, opened)
    created = {'type': 'AGENT', 'description': 'an agent', 'status': 'running'}
    status, fields, _ = held[pids[0]].call('POST', '/api/tasks', created)
    path = fields['Location'].split(f':{port}', 1)[1]
    etag = held[pids[0]].call('GET', path)[1]['ETag']
    for connection in held.values():
        connection.send('GET', path, Prefer='wait=3', If_None_Match=etag)
    eventually(lambda: all(each.read_by_server() for each in held.values()))

    parent.send_signal(signal.SIGTERM)
    # NOTE: each process answers the long poll it holds (it drains), then ends
    assert [each.answer()[0] for each in held.values()] == [304, 304]
    assert parent.wait(30) == 0
    assert not [pid for pid in pids if alive(pid)]


def test_the_processes_stop_when_their_parent_is_killed(app, world, cluster):
    port, parent, pids = serve_two(cluster)
    parent.kill()
    parent.wait(30)
    eventually(lambda: not [pid for pid in pids if alive(pid)], timeout=30)


def test_a_process_that_dies_is_replaced(app, world, cluster, opened):
    port, parent, pids = serve_two(cluster)
    # NOTE: both serve before one dies (one that dies first could not start)
    one_in_each(port, app.services.codec, pids, opened)
    os.kill(pids[0], signal.SIGKILL)
    replaced = eventually(
        lambda: len(now := children(parent.pid)) == 2 and pids[0] not in now and now,
        timeout=60,
    )
    held = one_in_each(port, app.services.codec, replaced, opened)
    assert sorted(held) == sorted(replaced)


def test_a_process_that_cannot_start_stops_them_all_with_its_status(tmp_path):
    env = {**os.environ, 'ABIQ_DATABASE_URL': f'sqlite:///{tmp_path}/empty.db'}
    port = str(free_port())
    ended = run_abiq('serve', '--port', port, '--processes', '2', env=env, cwd=tmp_path)
    # NOTE: as one process: a database without the schema is exit status 3
    assert ended.returncode == 3, ended.stderr
    assert 'abiq migrate' in ended.stderr
