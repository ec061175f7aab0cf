"""Real ``abiq serve`` processes killed between the start of a keyed POST
and its answer: the key is free again once the request's lease passed."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import signal
import threading
from urllib.parse import urlsplit

import pytest

from abiq.db import open_database
from abiq.db.models import IdempotencyRecord
from abiq.db.models import Task
from abiq.db.models import utcnow
from abiq.pgnotify import is_postgres
from tests.engine_support import eventually
from tests.engine_support import running_workers
from tests.processes import Cluster
from tests.processes import free_port
from tests.support import VENDOR_TYPE
from tests.support import validate_document

SLEEP = 'application/vnd.abiq.sleep+json'
KEY = 'killed-server'


@pytest.fixture
def cluster(database_url, tmp_path):
    running = Cluster(database_url, tmp_path)
    yield running
    running.stop()


class Poster:
    """Sends the test's one keyed POST to a server; validates the answer."""

    def __init__(self, app, path: str) -> None:
        self.codec, self.path = app.services.codec, path
        token = base64.b64encode(b'admin:secret').decode()
        self.headers = {
            'Authorization': f'Basic {token}',
            'Content-Type': SLEEP,
            'Idempotency-Key': KEY,
        }

    def post(self, port: int, **headers: str) -> tuple[int, dict, dict]:
        """POST ``{"jobs": 1}``; return the status, headers and document."""
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        try:
            connection.request(
                'POST', self.path, b'{"jobs":1}', {**self.headers, **headers}
            )
            answer = connection.getresponse()
            body, fields = answer.read(), dict(answer.getheaders())
        finally:
            connection.close()
        kind = VENDOR_TYPE.match(fields['Content-Type'])
        doc = validate_document(
            self.codec, body, kind['name'], kind['fmt'], int(kind['v'])
        )
        return answer.status, fields, doc

    def post_until_accepted(self, port: int) -> tuple[dt.datetime, dict, dict]:
        """Repeat while 409 ``IDEMPOTENCY-2``; return when and what was 202."""

        def accepted():
            status, fields, doc = self.post(port)
            if status == 409:
                assert [e['code'] for e in doc['collection']] == ['IDEMPOTENCY-2']
                return None
            assert status == 202, (status, doc)
            return utcnow(), fields, doc

        return eventually(accepted, timeout=60, interval=0.1)

    def post_in_background(self, port: int, **headers: str) -> threading.Thread:
        """Send the POST from a thread whose answer nobody will read."""

        def post() -> None:
            try:
                self.post(port, **headers)
            except (OSError, http.client.HTTPException):
                pass  # NOTE: the server is killed before it answers

        thread = threading.Thread(target=post, daemon=True)
        thread.start()
        return thread


def two_servers(cluster: Cluster, **settings: str) -> tuple:
    """Start two servers; return the first (to kill) and both ports."""
    cluster.env.update(settings)
    ports = free_port(), free_port()
    first = cluster.serve(ports[0])
    cluster.serve(ports[1])
    return first, *ports


def diagnostics_path(as_user) -> str:
    return urlsplit(as_user('admin').get('/', status=200).link('diagnostics')).path


def processing() -> IdempotencyRecord | None:
    return IdempotencyRecord.get_or_none(
        (IdempotencyRecord.key == KEY) & (IdempotencyRecord.state == 'processing')
    )


def finished(app, *task_ids: str) -> None:
    """Run workers until every one of the tasks has finished."""
    with running_workers(app.services.engine, 1):
        eventually(
            lambda: all(Task.get_by_id(i).status == 'finished' for i in task_ids),
            timeout=60,
        )


def test_a_server_killed_before_its_task_leaves_no_stuck_key(
    app, as_user, world, cluster, database_url
):
    if not is_postgres():
        pytest.skip(
            'holding the task table while idempotency records stay writable '
            'needs PostgreSQL (SQLite locks the whole database); the '
            'SQLite equivalent is the Prefer: wait test below'
        )
    poster = Poster(app, diagnostics_path(as_user))
    doomed, doomed_port, port = two_servers(
        cluster, ABIQ_TASK_LEASE='3', ABIQ_MAX_WAIT='0'
    )
    lock = open_database(database_url)
    with lock.atomic():
        # NOTE: the first server commits its record, then waits on the insert
        # of its task: it dies between begin and finish, with no task behind.
        lock.execute_sql('LOCK TABLE task IN ACCESS EXCLUSIVE MODE')
        thread = poster.post_in_background(doomed_port)
        record = eventually(processing, timeout=30)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(30)
        status, _, doc = poster.post(port)
        assert status == 409, doc
        assert [e['code'] for e in doc['collection']] == ['IDEMPOTENCY-2']
    lock.close()
    thread.join(30)
    accepted_at, _, task = poster.post_until_accepted(port)
    assert accepted_at - record.created_at >= dt.timedelta(seconds=3)
    finished(app, task['id'])
    assert [t.id for t in Task.select()] == [task['id']]
    status, fields, replay = poster.post(port)
    assert (status, fields['Idempotent-Replayed']) == (202, 'true')
    assert replay['id'] == task['id']


def test_a_server_killed_while_its_post_waits_leaves_no_stuck_key(
    app, as_user, world, cluster
):
    poster = Poster(app, diagnostics_path(as_user))
    doomed, doomed_port, port = two_servers(
        cluster, ABIQ_TASK_LEASE='1', ABIQ_MAX_WAIT='2'
    )
    # NOTE: no worker runs, so the first request waits (Prefer: wait=2) for
    # its task; it dies between begin and finish, its task committed.
    thread = poster.post_in_background(doomed_port, Prefer='wait=2')
    # NOTE: its key is held to the end of its wait once it waits
    eventually(
        lambda: (held := processing()) is not None and held.created_at > utcnow(),
        timeout=30,
    )
    orphan = Task.get().id
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(30)
    thread.join(30)
    status, _, doc = poster.post(port)
    assert status == 409, doc
    accepted_at, _, task = poster.post_until_accepted(port)
    # NOTE: the first request held its key for its wait, then for a lease:
    # 2 + 1 seconds after it began.
    began = Task.get_by_id(orphan).created_at
    assert accepted_at - began >= dt.timedelta(seconds=3)
    assert task['id'] != orphan  # the retry ran as new (at least once)
    finished(app, orphan, task['id'])
    status, fields, replay = poster.post(port)
    assert (status, fields['Idempotent-Replayed']) == (202, 'true')
    assert replay['id'] == task['id']
