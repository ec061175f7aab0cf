"""Replies and tasks for client unit tests, without a server."""

from __future__ import annotations

from typing import Any

import httpx

from abiq.client.codec import MediaType
from abiq.client.session import Reply
from abiq.client.tasks import Task
from tests.unit.samples import BASE
from tests.unit.samples import TASK_ID

TASK_HREF = f'{BASE}/tasks/{TASK_ID}'


def reply(
    doc: dict[str, Any],
    status: int = 200,
    name: str = 'task',
    version: int = 2,
    **headers,
) -> Reply:
    """Return a reply as the client decodes one."""
    media = MediaType('abiq', name, 'json', version)
    named = {key.replace('_', '-'): str(value) for key, value in headers.items()}
    return Reply(status, httpx.Headers(named), media, doc)


def task_doc(status: str, **fields: Any) -> dict[str, Any]:
    """Return a task document (the fields a client reads)."""
    links = [{'rel': 'self', 'href': TASK_HREF}, *fields.pop('links', [])]
    return {'links': links, 'id': TASK_ID, 'status': status, **fields}


def task_of(status: str, client: Any = None, **fields: Any) -> Task:
    """Return a task read by ``client`` (none by default)."""
    return Task(client, reply(task_doc(status, **fields), ETag='"t0"'))
