"""Benchmark databases: N tasks, a bench user and its API token, cached.

A prepared SQLite file is kept under ``bench/.cache/`` (ignored by git) and
copied for each run, so the 1M-task database is built once per schema
version. Rows go in through the abiq models (so they are what the server
would have written), in batches inside one transaction each.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from abiq.db import bind
from abiq.db import create_schema
from abiq.db import open_database
from abiq.db.migrations import LATEST
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import Token
from abiq.db.models import User
from abiq.db.models import database
from abiq.passwords import hash_secret

CACHE = Path(__file__).resolve().parent / '.cache'
# NOTE: a fixed secret, so a cached database's token keeps working; these
# databases only ever serve loopback benchmarks.
TOKEN = 'abiq_bench_token_for_loopback_benchmarks_only'
BATCH = 5000


@dataclass(frozen=True)
class Prepared:
    """A ready database: where it is and what to ask it for."""

    path: Path
    tasks: int
    task_id: str  # a finished task in the middle of the table


def prepared(tasks: int, workdir: Path) -> Prepared:
    """Return a fresh copy (in ``workdir``) of a database with ``tasks`` tasks."""
    cached = CACHE / f'tasks-{tasks}-schema{LATEST}.db'
    if not cached.exists():
        CACHE.mkdir(exist_ok=True)
        building = cached.with_suffix('.building')
        building.unlink(missing_ok=True)
        build(f'sqlite:///{building}', tasks)
        building.rename(cached)
    target = workdir / f'abiq-{tasks}.db'
    shutil.copyfile(cached, target)
    return Prepared(target, tasks, _task_id(tasks // 2))


def _task_id(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def build(url: str, tasks: int) -> None:
    """Create the schema, the bench admin and its token, and ``tasks`` tasks."""
    db = open_database(url)
    bind(db)
    with db.connection_context():
        create_schema()
        with database.atomic():
            enterprise = Enterprise.create(name='bench')
            user = User.create(
                name='bench', enterprise=enterprise, role='admin', password_hash='-'
            )
            Token.create(user=user, name='bench', secret_hash=hash_secret(TOKEN))
        start = dt.datetime(2026, 1, 1)
        for first in range(0, tasks, BATCH):
            count = min(BATCH, tasks - first)
            with database.atomic():
                _insert(enterprise, user, start, first, count)
    db.close()
    # NOTE: and, on SQLite, the shared write connection (abiq.db.groupcommit):
    # the last one to close checkpoints the WAL into the file then renamed.
    close_shared = getattr(db, 'close_shared', None)
    if close_shared is not None:
        close_shared()


def _insert(enterprise, user, start, first: int, count: int) -> None:  # type: ignore[no-untyped-def]
    tasks, jobs = [], []
    for n in range(first, first + count):
        created = start + dt.timedelta(seconds=n)
        task_id = _task_id(n)
        tasks.append(
            {
                'id': task_id,
                'type': 'SLEEP',
                'description': f'benchmark task {n}',
                'status': 'finished',
                'progress': 100,
                'created_at': created,
                'started_at': created,
                'updated_at': created,
                'finished_at': created,
                'expires_at': created + dt.timedelta(days=3650),
                'enterprise': enterprise,
                'user': user,
            }
        )
        for position in (1, 2):
            jobs.append(
                {
                    'task': task_id,
                    'position': position,
                    'type': 'SLEEP',
                    'description': f'sleep {position}',
                    'status': 'finished',
                    'started_at': created,
                    'finished_at': created,
                    'runs': 1,
                }
            )
    _insert_rows(Task, tasks)
    _insert_rows(TaskJob, jobs)


def _insert_rows(model, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    # NOTE: peewee builds the INSERT once (defaults included); the driver's
    # executemany runs it for every row, ten times faster than insert_many.
    sql, defaults = model.insert(**rows[0]).sql()
    listed = sql[sql.index('(') + 1 : sql.index(')')]
    columns = [name.strip().strip('"') for name in listed.split(',')]
    by_column = {field.column_name: field.name for field in model._meta.sorted_fields}
    names = [by_column[column] for column in columns]
    values = [
        [
            _plain(row[name]) if name in row else default
            for name, default in zip(names, defaults, strict=True)
        ]
        for row in rows
    ]
    database.cursor().executemany(sql, values)


def _plain(value):  # type: ignore[no-untyped-def]
    return value.id if hasattr(value, 'id') else value
