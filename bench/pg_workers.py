"""Task throughput with 1, 2 and 4 worker processes on PostgreSQL.

Prints one table, so scaling can be read off one run::

    .venv/bin/python bench/pg_workers.py            # 2,000 SLEEP(0) tasks each
    BENCH_TASKS=5000 .venv/bin/python bench/pg_workers.py

The database is ``ABIQ_BENCH_DATABASE_URL`` (default: the local ``test``
database), in a schema of its own that is dropped at the end. Tasks are
submitted straight through the engine (this measures the workers, not the
API); each worker process runs ``abiq worker --concurrency 2`` (or
``BENCH_THREADS``). Tasks/s is
counted from the first claim to the last end, as the database saw them (not
the processes' start-up). ``BENCH_PROCESSES=1,2`` picks the counts; the
first line, one worker thread in this process, gives what a task costs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from urllib.parse import urlencode

from peewee import fn

from abiq.config import Config
from abiq.db import bind
from abiq.db import create_schema
from abiq.db import open_database
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import User
from abiq.db.models import database
from abiq.tasks.diagnostics import sleep_jobs
from abiq.wiring import build_engine

BASE_URL = os.environ.get(
    'ABIQ_BENCH_DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/test'
)
SCHEMA = 'abiq_bench_workers'
TASKS = int(os.environ.get('BENCH_TASKS', '2000'))
# NOTE: BENCH_PROCESSES=1,2 to measure fewer counts (or one twice: 2,2).
PROCESS_COUNTS = tuple(
    int(count) for count in os.environ.get('BENCH_PROCESSES', '1,2,4').split(',')
)
TIME_LIMIT = 300.0
# NOTE: BENCH_AFFINITY=none to let the OS place the worker processes
AFFINITY = os.environ.get('BENCH_AFFINITY', 'auto')
THREADS = os.environ.get('BENCH_THREADS', '2')


def schema_url() -> str:
    sep = '&' if '?' in BASE_URL else '?'
    return BASE_URL + sep + urlencode({'options': f'-csearch_path={SCHEMA}'})


def reset_schema() -> None:
    admin = open_database(BASE_URL)
    admin.execute_sql(f'DROP SCHEMA IF EXISTS {SCHEMA} CASCADE')
    admin.execute_sql(f'CREATE SCHEMA {SCHEMA}')
    admin.close()


def submit(count: int) -> None:
    engine = build_engine(Config(database_url=schema_url(), sim_latency=0))
    with database.connection_context():
        enterprise, _ = Enterprise.get_or_create(name='bench')
        user, _ = User.get_or_create(
            name='bench',
            defaults={'enterprise': enterprise, 'role': 'admin', 'password_hash': '-'},
        )
        for _ in range(count):
            engine.submit(
                'SLEEP',
                enterprise_id=enterprise.id,
                user_id=user.id,
                jobs=sleep_jobs({'jobs': 1}),
                params={'jobs': 1},
            )


def fresh_tasks(count: int) -> None:
    """Empty the task tables (dead rows too), submit ``count`` tasks and
    give the planner their statistics."""
    tables = f'{Task._meta.table_name}, {TaskJob._meta.table_name}'
    with database.connection_context():
        database.execute_sql(f'TRUNCATE {tables}')
    submit(count)
    with database.connection_context():
        database.execute_sql(f'ANALYZE {tables}')


def run(processes: int) -> float:
    """Return tasks per second with ``processes`` worker processes."""
    fresh_tasks(TASKS)
    env = dict(
        os.environ,
        ABIQ_DATABASE_URL=schema_url(),
        ABIQ_LOG_LEVEL='WARNING',
        ABIQ_WORKER_POLL='0.2',
    )
    began = time.monotonic()
    workers = [
        subprocess.Popen(
            [
                *(sys.executable, '-m', 'abiq.cli', 'worker', '--concurrency', THREADS),
                *('--cpu-affinity', AFFINITY),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(processes)
    ]
    try:
        with database.connection_context():
            while Task.select().where(Task.status != 'finished').exists():
                if time.monotonic() - began > TIME_LIMIT:
                    raise SystemExit(f'{processes} workers: over {TIME_LIMIT} s')
                time.sleep(0.05)
            # NOTE: from the first claim to the last end, as the database saw
            # them: the workers' throughput, not their processes' start-up.
            first, last = Task.select(
                fn.MIN(Task.started_at), fn.MAX(Task.finished_at)
            ).scalar(as_tuple=True)
        return TASKS / (last - first).total_seconds()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)


def one_thread_costs(count: int = 500) -> str:
    """Run ``count`` tasks in this process with one worker thread; return
    what each cost it: statements sent, commits, client CPU and wall time.
    Unlike tasks/s, the first three hardly move on a machine that others
    load too."""
    fresh_tasks(count)
    engine = build_engine(Config(database_url=schema_url(), sim_latency=0))
    calls = {'execute_sql': 0, 'commit': 0}
    db = database.obj
    originals = {name: getattr(db, name) for name in calls}

    def counting(name: str):  # noqa: ANN202
        def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls[name] += 1
            return originals[name](*args, **kwargs)

        return counted

    for name in calls:
        setattr(db, name, counting(name))
    try:
        with database.connection_context():
            began, cpu = time.perf_counter(), time.process_time()
            while (task := engine.claim('bench')) is not None:
                while task is not None:
                    task = engine.run_then_claim(task, 'bench')
            wall = time.perf_counter() - began
            cpu = time.process_time() - cpu
    finally:
        for name in calls:
            delattr(db, name)
    return (
        f'one thread in process: {count / wall:.0f} tasks/s; per task '
        f'{calls["execute_sql"] / count:.1f} statements, '
        f'{calls["commit"] / count:.2f} commits, {1000 * cpu / count:.2f} ms CPU, '
        f'{1000 * wall / count:.2f} ms'
    )


def main() -> None:
    # NOTE: --json (make bench): only the best rate of each count, as JSON
    # on the last line, for bench.run to keep with the other figures.
    as_json = '--json' in sys.argv[1:]
    say = (lambda *_, **__: None) if as_json else print
    reset_schema()
    bind(open_database(schema_url()))
    create_schema()
    best: dict[str, float] = {}
    try:
        if not as_json:
            print(one_thread_costs(), flush=True)
        say(f'{TASKS} SLEEP(0) tasks, PostgreSQL, {THREADS} worker threads a process')
        say(f'{"processes":>10} {"tasks/s":>10} {"vs 1":>8}')
        first = None
        for processes in PROCESS_COUNTS:
            rate = run(processes)
            best[str(processes)] = max(rate, best.get(str(processes), 0.0))
            first = first or rate
            say(f'{processes:>10} {rate:>10.1f} {rate / first:>7.2f}x', flush=True)
    finally:
        database.close()
        reset_schema_drop()
    if as_json:
        print(json.dumps(best))


def reset_schema_drop() -> None:
    admin = open_database(BASE_URL)
    admin.execute_sql(f'DROP SCHEMA IF EXISTS {SCHEMA} CASCADE')
    admin.close()


if __name__ == '__main__':
    main()
