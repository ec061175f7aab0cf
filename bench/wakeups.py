"""Task scenarios: end-to-end SLEEP(0) throughput and long-poll wake latency."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from abiq.db import open_database
from bench.client import Client
from bench.prepare import build
from bench.servers import Process
from bench.servers import free_port

__all__ = [
    'end_to_end',
    'wake_latencies',
    'wake_latency_across_processes',
    'wake_latency_in_process',
]

E2E_TASKS = 2000
SUBMITTERS = 8
WAKES = 40
PG_URL = 'postgresql://postgres@127.0.0.1:5432/test'
PG_SCHEMA = 'abiq_bench_wake'


def end_to_end(root: str, db: Path, tasks: int = E2E_TASKS) -> dict:
    """Submit SLEEP(0) tasks from 8 threads; tasks/s from first created to
    last finished, read from the database the server writes."""
    diagnostics = Client(root).get(root).link('diagnostics')

    def submit(count: int) -> None:
        client = Client(root)
        for _ in range(count):
            client.sleep_task(diagnostics)
        client.close()

    threads = [
        threading.Thread(target=submit, args=(tasks // SUBMITTERS,))
        for _ in range(SUBMITTERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = SUBMITTERS * (tasks // SUBMITTERS)
    connection = sqlite3.connect(db)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        (left,) = connection.execute(
            "SELECT count(*) FROM task WHERE status IN ('pending', 'running')"
        ).fetchone()
        if not left:
            break
        time.sleep(0.2)  # polling the database for the end of the run
    first, last, finished = connection.execute(
        'SELECT min(created_at), max(finished_at), count(*) FROM task '
        "WHERE status = 'finished'"
    ).fetchone()
    connection.close()
    seconds = (_parse(last) - _parse(first)).total_seconds()
    return {
        'tasks': total,
        'finished': finished,
        'seconds': seconds,
        'tasks_per_s': finished / seconds if seconds else 0.0,
    }


def wake_latency_in_process(root: str) -> dict:
    """Long-poll wake latency when the serving process's own workers finish."""
    return wake_latencies(root)


def wake_latency_across_processes(workdir: Path) -> dict:
    """The same with PostgreSQL, the task finished by an ``abiq worker``."""
    sep = '&' if '?' in PG_URL else '?'
    url = PG_URL + sep + urlencode({'options': f'-csearch_path={PG_SCHEMA}'})
    try:
        admin = open_database(PG_URL)
        admin.execute_sql(f'DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE')
        admin.execute_sql(f'CREATE SCHEMA {PG_SCHEMA}')
        admin.close()
    except Exception as ex:  # noqa: BLE001 - reported, not fatal
        return {'skipped': f'PostgreSQL unreachable: {ex}'}
    build(url, 0)
    env = {
        'ABIQ_DATABASE_URL': url,
        'ABIQ_LOG_LEVEL': 'WARNING',
        'ABIQ_SIM_LATENCY': '0',
    }
    port = free_port()
    server = Process.abiq(
        ['serve', '--port', str(port), '--workers', '0'], env, workdir / 'serve-pg.log'
    )
    worker = Process.abiq(['worker', '--concurrency', '2'], env, workdir / 'worker.log')
    try:
        server.wait_listening(port)
        return wake_latencies(f'http://127.0.0.1:{port}/api/')
    finally:
        server.stop()
        worker.stop()
        admin = open_database(PG_URL)
        admin.execute_sql(f'DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE')
        admin.close()


def wake_latencies(root: str, held: Client | None = None, count: int = WAKES) -> dict:
    """Start short tasks and long-poll each until it ends; the latency is the
    time from its ``finishedAt`` to the waiting GET's answer. ``held`` is the
    connection to poll through (kept open), else a new one."""
    client = held or Client(root)
    diagnostics = client.get(root).link('diagnostics')
    latencies = []
    for _ in range(count):
        task = client.sleep_task(diagnostics, jobs=1, seconds=0.2)
        url = task.link('self')
        etag = task.headers.get('ETag', '')
        while True:
            reply = client.get(url, Prefer='wait=10', If_None_Match=etag)
            answered = dt.datetime.now(dt.UTC)
            if reply.status == 304:
                continue
            etag = reply.headers.get('ETag', '')
            if reply.doc['status'] in ('finished', 'failed', 'cancelled'):
                finished = _parse(reply.doc['finishedAt'])
                latencies.append((answered - finished).total_seconds() * 1000)
                break
    if held is None:
        client.close()
    latencies.sort()
    return {
        'samples': len(latencies),
        'p50_ms': latencies[len(latencies) // 2],
        'p99_ms': latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def _parse(value: str) -> dt.datetime:
    """Read a stored or RFC 3339 UTC timestamp."""
    parsed = dt.datetime.fromisoformat(value.replace('Z', '+00:00'))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def main() -> None:
    """Run the SQLite end-to-end scenario alone (``python -m bench.wakeups``):
    a fresh empty database, ``abiq serve --workers 2``, 8 submitters."""
    import os
    import tempfile

    from bench.prepare import prepared
    from bench.servers import Process

    tasks = int(os.environ.get('BENCH_TASKS', str(E2E_TASKS)))
    args = os.environ.get('BENCH_SERVE_ARGS', '').split()
    with tempfile.TemporaryDirectory(prefix='abiq-e2e-') as scratch:
        workdir = Path(scratch)
        db = prepared(0, workdir).path
        port = free_port()
        env = {
            'ABIQ_LOG_LEVEL': 'WARNING',
            'ABIQ_DATABASE_URL': f'sqlite:///{db}',
            'ABIQ_SIM_LATENCY': '0',
        }
        server = Process.abiq(
            ['serve', '--port', str(port), '--workers', '2', *args],
            env,
            workdir / 'serve.log',
        )
        try:
            server.wait_listening(port)
            figures = end_to_end(f'http://127.0.0.1:{port}/api/', db, tasks)
        finally:
            server.stop()
    print(
        f'{figures["finished"]}/{figures["tasks"]} SLEEP(0) tasks in '
        f'{figures["seconds"]:.2f} s: {figures["tasks_per_s"]:.0f} tasks/s'
    )


if __name__ == '__main__':
    main()
