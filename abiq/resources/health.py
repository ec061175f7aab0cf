"""``GET /api/health``: can the database take writes, are workers alive?

It needs no authentication (load balancers and orchestrators call it) and
is not linked from the root; ``docs/deploying.rst`` documents it. The body is
``application/health+json`` (draft-inadarei-api-health-check). Its top-level
``status`` is ``fail`` (and the answer 503) while the database cannot be
reached, is read-only or full, or no worker process has a fresh heartbeat:
accepted tasks would not run.
"""

from __future__ import annotations

import time

import falcon
import orjson
import peewee

from abiq import __version__
from abiq.db.faults import discard_connection
from abiq.db.health import WorkerHeartbeat
from abiq.db.health import storage_problem
from abiq.db.models import database
from abiq.db.models import utcnow
from abiq.resources.base import Resource

__all__ = ['Health']

# A worker that has not beaten for this long is reported as "warn"; when no
# worker has beaten more recently, the whole check fails.
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
        'output': {'type': 'string'},
        'checks': {
            'type': 'object',
            'additionalProperties': {
                'type': 'array',
                'items': {
                    'type': 'object',
                    'required': ['status'],
                    'properties': {'status': _STATUS, 'output': {'type': 'string'}},
                },
            },
        },
    },
}


class Health(Resource):
    """Database reachability and writability, worker heartbeat ages."""

    auth = False
    uses_database = False  # it reports on the database rather than needing it
    statuses = {'GET': (200, 503)}
    other_answers = {'GET': (HEALTH_TYPE, HEALTH_SCHEMA)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer 200 when the database takes writes and a worker is alive,
        else 503 with ``"status": "fail"``."""
        began = time.perf_counter()
        try:
            database.connect(reuse_if_open=True)
            beats = list(WorkerHeartbeat.select().order_by(WorkerHeartbeat.worker))
            problem = storage_problem()
        except (peewee.DatabaseError, peewee.InterfaceError) as ex:
            discard_connection()
            _answer(resp, _unreachable(str(ex)))
            return
        latency = (time.perf_counter() - began) * 1000
        database_check = {
            'status': 'fail' if problem else 'pass',
            'observedValue': round(latency, 2),
            'observedUnit': 'ms',
        }
        workers = _workers(beats)
        body = {
            'status': _overall(database_check, workers),
            'version': __version__,
            'checks': {'database': [database_check], 'workers:heartbeat': workers},
        }
        if problem:
            database_check['output'] = body['output'] = problem
        elif body['status'] == 'fail':
            body['output'] = 'no task worker has a fresh heartbeat'
        _answer(resp, body)


def _answer(resp: falcon.Response, body: dict) -> None:
    resp.status = 503 if body['status'] == 'fail' else 200
    resp.data = orjson.dumps(body)
    resp.content_type = HEALTH_TYPE
    resp.cache_control = ('no-store',)


def _unreachable(reason: str) -> dict:
    return {
        'status': 'fail',
        'version': __version__,
        'output': 'the database cannot be reached',
        'checks': {'database': [{'status': 'fail', 'output': reason[:200]}]},
    }


def _workers(beats: list[WorkerHeartbeat]) -> list[dict]:
    """One entry per worker process that beat in the last day."""
    now = utcnow()
    return [
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


def _overall(database_check: dict, workers: list[dict]) -> str:
    """fail: no writes or no live worker; warn: some worker went quiet."""
    statuses = {worker['status'] for worker in workers}
    if database_check['status'] == 'fail' or 'pass' not in statuses:
        return 'fail'
    return 'warn' if 'warn' in statuses else 'pass'
