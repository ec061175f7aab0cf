"""Real abiq processes on one database: a cluster of servers and workers,
and a client that keeps submitting until the work is accepted."""

from __future__ import annotations

import base64
import http.client
import itertools
import os
import subprocess
import sys
import time

import orjson

from tests.engine_support import eventually
from tests.served import free_port

__all__ = ['Client', 'Cluster', 'free_port']


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

    def serve(self, port: int, *args: str) -> subprocess.Popen:
        """Start ``abiq serve`` without workers (``args`` may override)."""
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
            *args,
        )
        eventually(lambda: _answers(port), timeout=60, interval=0.1)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(30)


def _answers(port: int) -> bool:
    # NOTE: an API server started before any worker answers /health with
    # 503 (no worker heartbeat); it is up all the same.
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
    try:
        connection.request('GET', '/api/health')
        return connection.getresponse().status in (200, 503)
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
            if status == 503:
                time.sleep(0.05)  # the database failed under it: try again
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
