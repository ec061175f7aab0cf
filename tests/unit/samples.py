"""Documents and a codec for unit tests: no app, no database.

Each sample is a complete answer of its media type and version, valid
against its JSON Schema (``tests/unit/test_samples.py`` checks that), so a
test can turn it into XML, back, and into a body.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from abiq.codec import Codec
from abiq.config import Config

BASE = 'http://localhost/api'
TASK_ID = '0f8fad5b-d9cb-469f-a165-70867728950e'
WHEN = '2026-01-02T03:04:05.678Z'


@functools.cache
def codec() -> Codec:
    """Return a codec of the default configuration (built once)."""
    return Codec(Config(sim_latency=0))


def link(rel: str, href: str, name: str | None = None, **extra: str) -> dict[str, Any]:
    """Return a link; ``name`` gives it the vendor type of that media type."""
    found = {'rel': rel, 'href': href, **extra}
    if name is not None:
        found['type'] = f'application/vnd.abiq.{name}+json'
    return found


def _task_v2() -> dict[str, Any]:
    href = f'{BASE}/tasks/{TASK_ID}'
    return {
        'links': [link('self', href, 'task'), link('cancel', f'{href}/cancel')],
        'id': TASK_ID,
        'type': 'BACKUP',
        'description': 'Nightly backup <of> "everything" & more',
        'status': 'running',
        'progress': 40,
        'attempt': 1,
        'createdAt': WHEN,
        'startedAt': WHEN,
        'updatedAt': WHEN,
        'finishedAt': None,
        'expiresAt': None,
        'cancellable': True,
        'retryable': False,
        'jobs': [
            {
                'id': 'copy',
                'type': 'COPY',
                'description': 'copy the disks',
                'status': 'finished',
                'startedAt': WHEN,
                'finishedAt': WHEN,
            },
            {
                'id': 'check',
                'type': 'CHECK',
                'description': '',
                'status': 'pending',
                'startedAt': None,
                'finishedAt': None,
            },
        ],
        'errors': [],
        'log': 'line one\nline two\n',
    }


_SAMPLES: dict[tuple[str, int], Any] = {
    ('task', 2): _task_v2,
    ('task', 1): lambda: {
        'links': [link('self', f'{BASE}/tasks/{TASK_ID}', 'task')],
        'id': TASK_ID,
        'type': 'BACKUP',
        'status': 'failed',
        'expiresAt': WHEN,
        'error': {'code': 'TASK-CANCELLED', 'message': 'cancelled by alice'},
    },
    ('tasks', 2): lambda: {
        'links': [link('self', f'{BASE}/tasks?startwith=0&limit=25', 'tasks')],
        'totalSize': 2,
        'collection': [_task_v2(), {**_task_v2(), 'jobs': [], 'log': ''}],
    },
    ('errors', 2): lambda: {
        'links': [],
        'collection': [
            {'code': '400-BAD-REQUEST', 'message': '/cpu: 0 is less than 1'},
            {'code': 'QUERY-2', 'message': 'limit must be between 1 and 1000'},
        ],
    },
    ('template', 2): lambda: {
        'links': [link('self', f'{BASE}/templates/7', 'template', title='debian')],
        'id': 7,
        'name': 'debian',
        'description': 'Debian 12, "bookworm"',
        'os': 'linux',
        'cpu': 2,
        'ram': 2048,
        'disk': 20,
    },
    ('virtualmachine', 2): lambda: {
        'links': [link('self', f'{BASE}/virtualmachines/3', 'virtualmachine')],
        'id': 3,
        'name': 'web',
        'hostname': 'web-1',
        'cpu': 1,
        'ram': 512,
        'disk': 10,
        'ip': None,
        'nameservers': ['10.0.0.2', '10.0.0.1'],
        'state': 'NOT_ALLOCATED',
    },
}

#: (media type name, version) of every sample
KEYS = tuple(sorted(_SAMPLES))


def sample(name: str, version: int) -> dict[str, Any]:
    """Return a fresh copy of the sample answer of a media type and version."""
    return copy.deepcopy(_SAMPLES[(name, version)]())
