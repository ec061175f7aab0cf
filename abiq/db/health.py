"""Worker heartbeats and database probes, for ``/api/health``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import peewee

from abiq.db.models import BaseModel
from abiq.db.models import database
from abiq.db.models import utcnow

__all__ = ['MIN_FREE_BYTES', 'WorkerHeartbeat', 'beat', 'forget', 'storage_problem']

#: free space below which an SQLite database is reported full
MIN_FREE_BYTES = 1024 * 1024


class WorkerHeartbeat(BaseModel):
    """The last time a worker process showed a sign of life."""

    worker = peewee.CharField(max_length=128, primary_key=True)
    threads = peewee.IntegerField(default=0)
    started_at = peewee.DateTimeField(default=utcnow)
    last_seen = peewee.DateTimeField(default=utcnow)


def beat(worker: str, threads: int) -> None:
    """Record that a worker process is alive now."""
    now = utcnow()
    WorkerHeartbeat.insert(worker=worker, threads=threads, last_seen=now).on_conflict(
        conflict_target=[WorkerHeartbeat.worker],
        update={WorkerHeartbeat.last_seen: now, WorkerHeartbeat.threads: threads},
    ).execute()


def forget(worker: str) -> None:
    """Remove a worker process's heartbeat (it stopped cleanly)."""
    WorkerHeartbeat.delete().where(WorkerHeartbeat.worker == worker).execute()


def storage_problem() -> str | None:
    """Tell why the database cannot take writes now, or None when it can.

    Runs on a connected database: PostgreSQL says whether it is a standby
    (read-only after a failover) or in a read-only session; for SQLite the
    file and its folder must be writable, with at least
    :data:`MIN_FREE_BYTES` free (writes then fail with "disk is full").
    """
    db = database.obj
    if isinstance(db, peewee.PostgresqlDatabase):
        recovery, read_only = db.execute_sql(
            "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')"
        ).fetchone()
        if recovery or read_only == 'on':
            return 'the database is read-only'
        return None
    path = Path(db.database) if db.database not in ('', ':memory:') else None
    if path is None:
        return None
    if not os.access(path.parent, os.W_OK) or (
        path.exists() and not os.access(path, os.W_OK)
    ):
        return 'the database file is read-only'
    if shutil.disk_usage(path.parent).free < MIN_FREE_BYTES:
        return 'the disk holding the database is full'
    return None
