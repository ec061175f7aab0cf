"""Many processes on PostgreSQL: 2 API servers, 3 workers, 2,000 tasks,
a worker killed and an API server restarted in the middle: nothing is lost."""

from __future__ import annotations

import base64
import http.client
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import orjson
import pytest

from abiq.db.domain import VirtualAppliance
from abiq.db.domain import VirtualMachine
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.pgnotify import is_postgres
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.engine_support import eventually
from tests.support import Api
from tests.support import basic

TOTAL, VAPPS, CLIENTS = 2000, 20, 16
SLEEP = 'application/vnd.abiq.sleep+json'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Cluster:
    """The processes of the test, killed at the end whatever happens."""

    def __init__(self, database_url: str, log_dir) -> None:
        self.env = dict(
            os.environ,
            ABIQ_DATABASE_URL=database_url,
            ABIQ_TASK_LEASE='5',
            ABIQ_WORKER_POLL='0.5',
            ABIQ_SIM_LATENCY='0',
            ABIQ_LOG_LEVEL='WARNING',
        )
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = open(self.log_dir / f'p{len(self.processes)}.log', 'w')  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, '-m', 'abiq.cli', *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes.append(process)
        return process

    def serve(self, port: int) -> subprocess.Popen:
        process = self.start(
            'serve',
            '--port',
            str(port),
            '--workers',
            '0',
            '--threads',
            '8',
            '--drain',
            '5',
        )
        eventually(lambda: _answers(port), timeout=60, interval=0.1)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(30)


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
    try:
        connection.request('GET', '/api/health')
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


class Client:
    """A keep-alive client that retries a POST with its Idempotency-Key."""

    def __init__(self, ports: list[int], user: str) -> None:
        self.ports = itertools.cycle(ports)
        token = base64.b64encode(f'{user}:secret'.encode()).decode()
        self.auth = f'Basic {token}'
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, content_type: str, key: str) -> dict:
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, f'{key} never accepted'
            try:
                status, data = self._send(path, body, content_type, key)
            except (OSError, http.client.HTTPException):
                self.close()  # that server went away: try the other
                time.sleep(0.05)
                continue
            if status == 409 and b'IDEMPOTENCY-2' in data:
                time.sleep(0.05)  # the first attempt is still being processed
                continue
            assert status in (201, 202), (status, data[:300])
            return orjson.loads(data)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _send(self, path, body, content_type, key) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                '127.0.0.1', next(self.ports), timeout=30
            )
        self.connection.request(
            'POST',
            path,
            body=body,
            headers={
                'Authorization': self.auth,
                'Content-Type': content_type,
                'Idempotency-Key': key,
            },
        )
        response = self.connection.getresponse()
        return response.status, response.read()


@pytest.fixture
def cluster(database_url, tmp_path):
    if not is_postgres():
        pytest.skip('scale-out runs on PostgreSQL (ABIQ_TEST_DATABASE_URL)')
    running = Cluster(database_url, tmp_path)
    yield running
    running.stop()


def test_two_thousand_tasks_survive_a_killed_worker_and_a_restarted_api(
    app, world, cluster
):
    admin, alice = (
        Api(app, app.services.codec, basic('admin')),
        Api(app, app.services.codec, basic('alice')),
    )
    template = make_template(admin)
    deploys = [
        make_vapp(alice, template.link('self'), ['a', 'b'], f'app{n}')
        .link('deploy')
        .split('localhost', 1)[1]
        for n in range(VAPPS)
    ]
    ports = [free_port(), free_port()]
    servers = [cluster.serve(port) for port in ports]
    workers = [cluster.start('worker', '--concurrency', '2') for _ in range(3)]

    jobs = [('/api/diagnostics', orjson.dumps({'jobs': 2}), SLEEP, 'admin')] * (
        TOTAL - VAPPS
    ) + [(path, b'', 'application/json', 'alice') for path in deploys]
    counter = itertools.count()
    submitted: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client() -> None:
        clients = {user: Client(ports, user) for user in ('admin', 'alice')}
        try:
            while (number := next(counter)) < TOTAL:
                path, body, content_type, user = jobs[number]
                task = clients[user].post(path, body, content_type, f'k{number}')
                with lock:
                    submitted.append(task['id'])
        except BaseException as ex:  # surfaced by the main thread
            errors.append(ex)
        finally:
            for each in clients.values():
                each.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    eventually(lambda: len(submitted) >= TOTAL // 3, timeout=300, interval=0.05)
    workers[0].send_signal(signal.SIGKILL)
    workers.append(cluster.start('worker', '--concurrency', '2'))
    servers[0].send_signal(signal.SIGTERM)
    assert servers[0].wait(30) == 0
    servers[0] = cluster.serve(ports[0])
    for thread in threads:
        thread.join(600)
    assert not errors, errors[:3]
    assert len(submitted) == TOTAL == len(set(submitted))

    def all_ended() -> bool:
        return not Task.select().where(Task.status.in_(['pending', 'running'])).exists()

    eventually(all_ended, timeout=600, interval=0.5)
    assert Task.select().count() == TOTAL
    assert Task.select().where(Task.status == 'finished').count() == TOTAL
    job_count = TaskJob.select().count()
    assert job_count == 2 * (TOTAL - VAPPS) + 6 * VAPPS
    extra_runs = sum(job.runs for job in TaskJob.select()) - job_count
    # NOTE: only the jobs the killed worker was in the middle of ran twice.
    assert 0 <= extra_runs <= 2
    assert (
        VirtualMachine.select().where(VirtualMachine.lock_task.is_null(False)).count()
        == 0
    )
    assert (
        VirtualAppliance.select()
        .where(VirtualAppliance.lock_task.is_null(False))
        .count()
        == 0
    )
    assert {vapp.state for vapp in VirtualAppliance.select()} == {'DEPLOYED'}
