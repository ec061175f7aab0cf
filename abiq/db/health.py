"""Worker heartbeats: which worker processes are alive, for ``/api/health``."""

from __future__ import annotations

import peewee

from abiq.db.models import BaseModel
from abiq.db.models import utcnow

__all__ = ['WorkerHeartbeat', 'beat']


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
