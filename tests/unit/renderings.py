"""Rows, callers and URLs for unit tests of the renderers: plain objects
with the attributes a renderer reads, no database."""

from __future__ import annotations

import datetime as dt
import functools
from types import SimpleNamespace
from typing import Any

from abiq.auth import Caller
from abiq.config import Config
from abiq.links import Urls
from abiq.mediatypes import Accepted
from abiq.schemas import SchemaStore

BASE = 'http://localhost/api'
# NOTE: rows hold naive UTC times, as the database gives them back.
WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, 678000)
TASK_ID = '0f8fad5b-d9cb-469f-a165-70867728950e'


@functools.cache
def schemas() -> SchemaStore:
    """Return the JSON Schemas of the default configuration (read once)."""
    return SchemaStore(Config().schema_dir)


def urls(name: str = 'api', fmt: str = 'json', version: int = 2) -> Urls:
    """Return the URL builder of a request negotiated as ``name``."""
    return Urls(BASE, 'abiq', Accepted(name, fmt, version))


def caller(role: str = 'user', user_id: int = 2, enterprise_id: int = 1) -> Caller:
    """Return a caller of a role in an enterprise."""
    return Caller(SimpleNamespace(id=user_id, role=role, enterprise_id=enterprise_id))


def row(**fields: Any) -> SimpleNamespace:
    """Return a row: an object with the fields as attributes."""
    return SimpleNamespace(**fields)


def task(**changes: Any) -> SimpleNamespace:
    """Return a running server task of user 2 in enterprise 1."""
    fields = {
        'id': TASK_ID,
        'type': 'DEPLOY',
        'description': 'Deploy vm',
        'status': 'running',
        'progress': 40,
        'attempt': 1,
        'created_at': WHEN,
        'started_at': WHEN,
        'updated_at': WHEN,
        'finished_at': None,
        'expires_at': None,
        'enterprise_id': 1,
        'user_id': 2,
        'target_kind': 'virtualmachine',
        'target_id': '5',
        'result_kind': None,
        'result_id': None,
        'external': False,
        'cancel_requested': False,
        'errors': '[]',
        'log': '',
    }
    return SimpleNamespace(**{**fields, **changes})


def job(position: int = 0, status: str = 'running') -> SimpleNamespace:
    """Return a job of a task."""
    return SimpleNamespace(
        position=position,
        type='DEPLOY_VM',
        description='deploy',
        status=status,
        started_at=WHEN,
        finished_at=None,
    )


def rels(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the (rel, href below the API root) of each link, in order."""
    return [(link['rel'], link['href'][len(BASE) :]) for link in doc['links']]


def assert_valid(doc: dict[str, Any], name: str, version: int = 2) -> None:
    """Fail unless a document is valid against its media type's JSON Schema."""
    problems = schemas().violations(doc, name, version)
    assert not problems, problems
