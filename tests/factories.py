"""Rows made directly in the database, for tests that need many or odd ones."""

from __future__ import annotations

import datetime as dt
import uuid

from abiq.db.models import Task
from abiq.db.models import database
from abiq.db.models import utcnow


def make_tasks(enterprise, user, count: int, **fields) -> list[str]:
    """Insert ``count`` tasks; every third shares its creation time with the
    one before, so ordering must fall back on the id."""
    start = utcnow() - dt.timedelta(hours=1)
    rows = []
    for index in range(count):
        created = start + dt.timedelta(seconds=index - index // 3)
        row = {
            'id': str(uuid.uuid4()),
            'type': fields.get('type', ('BACKUP', 'DEPLOY', 'SYNC')[index % 3]),
            'description': fields.get('description', f'task number {index}'),
            'status': fields.get('status', 'pending'),
            'enterprise': enterprise.id,
            'user': user.id,
            'created_at': created,
            'updated_at': created,
            'external': fields.get('external', True),
        }
        for key in (
            'result_kind',
            'result_id',
            'finished_at',
            'expires_at',
            'target_kind',
            'target_id',
            'errors',
        ):
            if key in fields:
                row[key] = fields[key]
        rows.append(row)
    with database.atomic():
        for chunk in range(0, len(rows), 200):
            Task.insert_many(rows[chunk : chunk + 200]).execute()
    return [row['id'] for row in rows]
