"""Database faults: connections cut under load, a full disk, a read-only
database. Every accepted task ends, nobody restarts a process, and clients
see 503 or 507 with Retry-After (never 500) while the fault lasts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import httpx
import orjson
import peewee
import pytest

from abiq.app import create_app
from abiq.config import Config
from abiq.config import ConfigError
from abiq.db import bind
from abiq.db import database_for
from abiq.db.faults import Backoff
from abiq.db.faults import fault_of
from abiq.db.health import WorkerHeartbeat
from abiq.db.health import beat
from abiq.db.models import Task
from abiq.db.models import database
from abiq.db.models import utcnow
from abiq.pgnotify import is_postgres
from tests.engine_support import eventually
from tests.processes import Client
from tests.processes import Cluster
from tests.processes import free_port
from tests.support import Api
from tests.support import basic

SLEEP = 'application/vnd.abiq.sleep+json'
BODY = orjson.dumps({'jobs': 3, 'seconds': 0.1})


def test_faults_are_told_from_bugs():
    full = fault_of(peewee.OperationalError('database or disk is full'))
    assert (full.status, full.code) == (507, '507-INSUFFICIENT-STORAGE')
    gone = fault_of(peewee.InterfaceError('connection already closed'))
    assert (gone.status, gone.code) == (503, '503-SERVICE-UNAVAILABLE')
    assert fault_of(peewee.IntegrityError('UNIQUE constraint failed')) is None
    assert fault_of(KeyError('x')) is None


def test_backoff_grows_to_its_cap_and_starts_again():
    backoff = Backoff(first=0.1, cap=0.4)
    delays = [backoff.delay() for _ in range(5)]
    assert 0.05 <= delays[0] <= 0.1 and all(0.2 <= d <= 0.4 for d in delays[3:])
    backoff.reset()
    assert backoff.delay() <= 0.1


def _health(api) -> tuple[int, dict]:
    answer = api.as_user(None).get('/health')
    return answer.status, orjson.loads(answer.body)


def test_health_fails_at_the_top_without_a_live_worker(api):
    status, body = _health(api)
    assert (status, body['status']) == (503, 'fail')
    assert body['output'] == 'no task worker has a fresh heartbeat'
    # a worker that went quiet a minute ago does not run tasks either
    WorkerHeartbeat.create(
        worker='quiet:1', threads=2, last_seen=utcnow() - dt.timedelta(seconds=60)
    )
    status, body = _health(api)
    assert (status, body['status']) == (503, 'fail')
    assert body['checks']['workers:heartbeat'][0]['status'] == 'warn'
    beat('alive:2', 2)
    status, body = _health(api)
    assert (status, body['status']) == (200, 'warn')
    WorkerHeartbeat.delete().where(WorkerHeartbeat.worker == 'quiet:1').execute()
    status, body = _health(api)
    assert (status, body['status']) == (200, 'pass')


def _terminate(application_name: str | None = None, pid: int | None = None) -> int:
    """Terminate backends of this database, from a connection of its own:
    those of an application name, or one by pid; return how many."""
    import psycopg2

    connection = psycopg2.connect(os.environ['ABIQ_TEST_DATABASE_URL'])
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                'WHERE datname = current_database() AND pid <> pg_backend_pid() '
                'AND (application_name = %s OR pid = %s)',
                (application_name, pid),
            )
            return len(cursor.fetchall())
    finally:
        connection.close()


def _connected(application_name: str) -> int:
    """Return how many backends of an application name there are."""
    import psycopg2

    connection = psycopg2.connect(os.environ['ABIQ_TEST_DATABASE_URL'])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT count(*) FROM pg_stat_activity '
                'WHERE datname = current_database() AND application_name = %s',
                (application_name,),
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


def test_a_request_on_a_cut_connection_is_503_and_the_next_one_works(api):
    if not is_postgres():
        pytest.skip('terminating backends needs PostgreSQL')
    api.get('/tasks', status=200)
    # NOTE: the app answers in this thread, on this thread's connection.
    assert _terminate(pid=database.connection().info.backend_pid) == 1
    cut = api.get('/tasks')
    assert cut.status == 503, cut.body
    assert cut.codes == ['503-SERVICE-UNAVAILABLE'] and cut.headers['Retry-After']
    api.get('/tasks', status=200)


@pytest.fixture
def cut_cluster(database_url, tmp_path):
    if not is_postgres():
        pytest.skip('terminating backends needs PostgreSQL (ABIQ_TEST_DATABASE_URL)')
    running = Cluster(database_url, tmp_path)
    # NOTE: the processes' connections carry a name of their own, so the
    # cut spares the test's connection and other tests' databases.
    running.name = f'abiq-cut-{os.getpid()}'
    running.env['ABIQ_DATABASE_URL'] += f'&application_name={running.name}'
    running.env['ABIQ_TASK_LEASE'] = '2'
    running.env['ABIQ_WORKER_POLL'] = '0.2'
    yield running
    running.stop()


def test_every_accepted_task_ends_when_every_backend_is_terminated(
    app, world, cut_cluster
):
    port = free_port()
    server = cut_cluster.serve(port)
    worker = cut_cluster.start('worker', '--concurrency', '2')
    client = Client([port], 'admin')
    accepted = [
        client.post('/api/diagnostics', BODY, SLEEP, f'before-{n}')['id']
        for n in range(12)
    ]
    eventually(lambda: Task.select().where(Task.status == 'running').exists())
    for cut in range(2):
        # NOTE: the API server's pool and listener, the worker's threads,
        # heartbeat and listener: every connection of both processes, once
        # they have connected again after the cut before.
        eventually(lambda: _connected(cut_cluster.name) >= 3, timeout=30)
        assert _terminate(cut_cluster.name) >= 3
        accepted += [
            client.post('/api/diagnostics', BODY, SLEEP, f'cut{cut}-{n}')['id']
            for n in range(8)
        ]
    client.close()

    def all_ended() -> bool:
        return not Task.select().where(Task.status.in_(['pending', 'running'])).exists()

    eventually(all_ended, timeout=120, interval=0.2)
    statuses = {task.id: task.status for task in Task.select()}
    assert sorted(statuses) == sorted(set(accepted)) and len(accepted) == 28
    assert set(statuses.values()) == {'finished'}
    assert server.poll() is None and worker.poll() is None  # nobody restarted
    health = httpx.get(f'http://127.0.0.1:{port}/api/health', timeout=10)
    assert health.status_code == 200 and health.json()['status'] == 'pass'


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs of the test's own, or a skip when none can be mounted."""
    mount = tmp_path / 'disk'
    mount.mkdir()
    made = subprocess.run(
        ['mount', '-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f'cannot mount a tmpfs here: {made.stderr.strip()}')
    yield mount
    subprocess.run(['umount', '-l', str(mount)], check=False)


def _fill(folder) -> None:
    """Write a file until the disk holding ``folder`` has no space left."""
    chunk = b'\0' * 65536
    # NOTE: unbuffered: a buffered file keeps what a short write left over
    # and fails again on closing, with the disk full as wanted.
    with open(folder / 'filler', 'wb', buffering=0) as filler:
        try:
            for _ in range(4096):  # NOTE: 256 MiB at most; the disk is 16
                filler.write(chunk)
        except OSError:
            return
    raise AssertionError('the disk never filled up')


def test_a_full_sqlite_disk_is_507_then_served_once_space_returns(small_disk, tmp_path):
    env = dict(
        os.environ,
        ABIQ_DATABASE_URL=f'sqlite:///{small_disk}/abiq.db',
        ABIQ_ADMIN_PASSWORD='secret',
        ABIQ_SIM_LATENCY='0',
        ABIQ_TASK_LEASE='2',
        ABIQ_WORKER_POLL='0.2',
        ABIQ_LOG_LEVEL='WARNING',
    )
    cluster = Cluster(env['ABIQ_DATABASE_URL'], tmp_path)
    cluster.env = env
    assert cluster.start('init').wait(60) == 0
    port = free_port()
    server = cluster.serve(port, '--workers', '1')
    base = f'http://127.0.0.1:{port}/api'
    http = httpx.Client(auth=('admin', 'secret'), timeout=30)
    try:
        accepted = [_submit(http, base, 202)]
        _fill(small_disk)
        statuses = []
        # NOTE: the WAL reuses space it already has; it takes a few commits
        # to need a page more than the disk holds.
        for _ in range(500):
            answer = http.post(
                f'{base}/diagnostics', content=BODY, headers={'Content-Type': SLEEP}
            )
            statuses.append(answer.status_code)
            if answer.status_code == 202:
                accepted.append(answer.headers['Location'])
                continue
            assert answer.status_code == 507, answer.text
            assert answer.json()['collection'][0]['code'] == '507-INSUFFICIENT-STORAGE'
            assert answer.headers['Retry-After']
            break
        assert statuses[-1] == 507, statuses
        full = httpx.get(f'{base}/health', timeout=10)
        assert full.status_code == 503 and 'full' in full.json()['output']

        (small_disk / 'filler').unlink()
        accepted.append(_submit(http, base, 202))

        def ended(href: str) -> bool:
            task = http.get(href)
            return task.status_code == 200 and task.json()['status'] == 'finished'

        eventually(lambda: all(map(ended, accepted)), timeout=60, interval=0.1)
        assert server.poll() is None
        eventually(
            lambda: httpx.get(f'{base}/health', timeout=10).status_code == 200,
            timeout=30,
        )
    finally:
        http.close()
        cluster.stop()


def _submit(http: httpx.Client, base: str, status: int) -> str:
    """POST a SLEEP task; return its URL."""
    answer = http.post(
        f'{base}/diagnostics', content=BODY, headers={'Content-Type': SLEEP}
    )
    assert answer.status_code == status, answer.text
    return answer.headers['Location']


def test_a_read_only_database_is_503_and_fails_health(world, database_url):
    if not is_postgres():
        pytest.skip('a read-only session needs PostgreSQL (root writes any file)')

    # NOTE: what a standby promoted the wrong way round, or a database an
    # operator set read-only, looks like to abiq: every transaction refuses
    # to write.
    read_only = database_url.replace(
        'options=-csearch_path',
        'options=-cdefault_transaction_read_only%3Don+-csearch_path',
    )
    assert read_only != database_url
    saved = database.obj
    app = create_app(Config(database_url=read_only, sim_latency=0))
    try:
        admin = Api(app, app.services.codec, basic('admin'))
        refused = admin.post(
            admin.get('/', status=200).link('diagnostics'),
            {'jobs': 1},
            content_type=SLEEP,
        )
        assert refused.status == 503, refused.body
        assert refused.codes == ['503-SERVICE-UNAVAILABLE']
        health = admin.as_user(None).get('/health', status=503)
        assert orjson.loads(health.body)['output'] == 'the database is read-only'
    finally:
        database.close()
        bind(saved)


@pytest.mark.parametrize(('setting', 'pragma'), [(None, 2), ('full', 2), ('normal', 1)])
def test_sqlite_syncs_every_commit_unless_the_operator_opts_out(
    tmp_path, setting, pragma
):
    env = {'ABIQ_DATABASE_URL': f'sqlite:///{tmp_path}/durable.db'}
    if setting:
        env['ABIQ_SQLITE_SYNCHRONOUS'] = setting
    db = database_for(Config.from_env(env))
    with db.connection_context():
        # NOTE: 2 is FULL (the WAL is synced at every commit), 1 NORMAL
        assert db.execute_sql('PRAGMA synchronous').fetchone() == (pragma,)


def test_an_unknown_synchronous_setting_is_refused():
    with pytest.raises(ConfigError, match='ABIQ_SQLITE_SYNCHRONOUS'):
        Config.from_env({'ABIQ_SQLITE_SYNCHRONOUS': 'off'})
