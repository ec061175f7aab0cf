"""``GET /api/health``: is the database reachable, are workers alive?

It needs no authentication (load balancers and orchestrators call it) and
is not linked from the root; ``docs/deploying.rst`` documents it. The body is
``application/health+json`` (draft-inadarei-api-health-check).
"""

from __future__ import annotations

import time

import falcon
import orjson
import peewee

from abiq import __version__
from abiq.db.health import WorkerHeartbeat
from abiq.db.models import database
from abiq.db.models import utcnow
from abiq.resources.base import Resource

__all__ = ['Health']

# A worker that has not beaten for this long is reported as "warn".
STALE_AFTER = 30.0
HEALTH_TYPE = 'application/health+json'
_STATUS = {'type': 'string', 'enum': ['pass', 'warn', 'fail']}
# The shape of the answer, for the OpenAPI document (not one of our media
# types, so it has no schema file).
HEALTH_SCHEMA = {
    'type': 'object',
    'required': ['status', 'version', 'checks'],
    'properties': {
        'status': _STATUS,
        'version': {'type': 'string'},
        'checks': {
            'type': 'object',
            'additionalProperties': {
                'type': 'array',
                'items': {
                    'type': 'object',
                    'required': ['status'],
                    'properties': {'status': _STATUS},
                },
            },
        },
    },
}


class Health(Resource):
    """Database reachability and worker heartbeat ages."""

    auth = False
    uses_database = False  # it reports on the database rather than needing it
    statuses = {'GET': (200, 503)}
    other_answers = {'GET': (HEALTH_TYPE, HEALTH_SCHEMA)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer 200 when the database answers, else 503."""
        began = time.perf_counter()
        try:
            database.connect(reuse_if_open=True)
            beats = list(WorkerHeartbeat.select().order_by(WorkerHeartbeat.worker))
        except peewee.DatabaseError:
            database.close()
            self._answer(
                resp,
                503,
                {
                    'status': 'fail',
                    'version': __version__,
                    'checks': {'database': [{'status': 'fail'}]},
                },
            )
            return
        latency = (time.perf_counter() - began) * 1000
        now = utcnow()
        workers = [
            {
                'componentId': row.worker,
                'status': 'pass' if age < STALE_AFTER else 'warn',
                'observedValue': round(age, 1),
                'observedUnit': 's',
                'threads': row.threads,
            }
            for row in beats
            if (age := (now - row.last_seen).total_seconds()) < 24 * 3600
        ]
        body = {
            'status': 'pass',
            'version': __version__,
            'checks': {
                'database': [
                    {
                        'status': 'pass',
                        'observedValue': round(latency, 2),
                        'observedUnit': 'ms',
                    }
                ],
                'workers:heartbeat': workers,
            },
        }
        self._answer(resp, 200, body)

    @staticmethod
    def _answer(resp: falcon.Response, status: int, body: dict) -> None:
        resp.status = status
        resp.data = orjson.dumps(body)
        resp.content_type = HEALTH_TYPE
        resp.cache_control = ('no-store',)
