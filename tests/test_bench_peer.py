"""The bench's DRF peer (issue 16) answers a page and a task of abiq's rows,
and a task it creates is a row abiq reads."""

from __future__ import annotations

import http.client

import orjson
import pytest

from abiq.db import bind
from abiq.db import open_database
from abiq.db.models import Task
from bench.client import AUTH
from bench.peer import start
from bench.prepare import build

pytest.importorskip('rest_framework', reason='the peer needs pip install -e .[bench]')

TASKS = 30


@pytest.fixture(scope='module')
def peer(tmp_path_factory: pytest.TempPathFactory):
    # NOTE: one peer for the module: starting Django (and its migrations)
    # is most of what these tests cost.
    folder = tmp_path_factory.mktemp('peer')
    db = folder / 'peer.db'
    build(f'sqlite:///{db}', TASKS)
    process, tasks_url = start(db, folder, threads=2)
    try:
        yield db, tasks_url
    finally:
        process.stop()


def _ask(url: str, method: str = 'GET', body: dict | None = None, auth: bool = True):
    host, _, rest = url.removeprefix('http://').partition('/')
    name, port = host.split(':')
    conn = http.client.HTTPConnection(name, int(port), timeout=30)
    headers = dict([AUTH]) if auth else {}
    if body is not None:
        headers['Content-Type'] = 'application/json'
    try:
        conn.request(method, f'/{rest}', orjson.dumps(body) if body else None, headers)
        answer = conn.getresponse()
        return answer.status, answer.headers, orjson.loads(answer.read())
    finally:
        conn.close()


def test_the_peer_pages_tasks_and_answers_one(peer) -> None:
    _, tasks_url = peer
    status, _, page = _ask(f'{tasks_url}?limit=25&offset=0')
    assert status == 200
    assert len(page['results']) == 25
    assert page['next'] == f'{tasks_url}?limit=25&offset=25'
    first = page['results'][0]
    assert first['description'] == 'benchmark task 0'
    assert [job['position'] for job in first['jobs']] == [1, 2]

    status, _, task = _ask(first['url'])
    assert status == 200
    assert task == first
    status, _, second = _ask(page['next'])
    assert status == 200
    assert second['results'][0]['description'] == 'benchmark task 25'
    assert second['previous'] == f'{tasks_url}?limit=25'


def test_the_peer_wants_the_bench_token(peer) -> None:
    _, tasks_url = peer
    status, headers, _ = _ask(tasks_url, auth=False)
    assert status == 401
    assert headers['WWW-Authenticate'] == 'Bearer'


def test_a_task_the_peer_creates_is_a_row_abiq_reads(peer) -> None:
    db, tasks_url = peer
    before = _ask(tasks_url)[2]['count']
    body = {'type': 'BACKUP', 'status': 'running', 'progress': 10}
    status, headers, created = _ask(tasks_url, 'POST', {**body, 'jobs': [{}]})
    assert status == 201
    assert _ask(tasks_url)[2]['count'] == before + 1
    assert headers['Location'] == created['url']
    assert created['status'] == 'running'
    assert created['jobs'][0]['type'] == 'STEP'

    database = open_database(f'sqlite:///{db}')
    bind(database)
    try:
        row = Task.get_by_id(created['id'])
    finally:
        database.close()
    assert (row.type, row.status, row.progress, row.external) == (
        'BACKUP',
        'running',
        10,
        True,
    )
    assert row.started_at is not None
    assert [job.type for job in row.job_rows] == ['STEP']
