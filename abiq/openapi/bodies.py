"""Request bodies: what each operation needs of one, and an example of each.

An example is written once, for the latest version, and each version keeps
the fields its schema has (version 1 of a task has no ``description``). A
link's href names the server with :data:`BASE`, which
:func:`abiq.openapi.with_server` replaces with the URL a client used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from abiq.media import FORMATS
from abiq.openapi.texts import XML_BODIES

if TYPE_CHECKING:
    from abiq.resources.base import Body
    from abiq.schemas import SchemaStore

__all__ = ['BASE', 'example', 'request_body']

#: the API root in examples, until the document is served from one
BASE = 'https://abiq.invalid/api'

# NOTE: what the resources check beyond the schema, as the schema keywords
# that say it: a machine is created from exactly one template link
# (abiq.resources.virtualmachines); the other bodies need only fields.
_CREATION_LINKS = {'virtualmachine': 'template'}

# The example of a creation (a body with needs) and of an edit, by name.
_CREATE = {
    'enterprise': {'name': 'acme'},
    'sleep': {'jobs': 2, 'seconds': 0.5},
    'task': {'type': 'BACKUP', 'description': 'Nightly backup', 'status': 'pending'},
    'template': {
        'name': 'debian-12',
        'description': 'Debian 12, minimal',
        'os': 'linux',
        'cpu': 1,
        'ram': 512,
        'disk': 10,
    },
    'token': {'name': 'ci', 'expiresAt': '2030-01-01T00:00:00Z'},
    'user': {
        'name': 'alice',
        'role': 'user',
        'email': 'alice@example.com',
        'password': 'correct horse battery staple',
    },
    'virtualappliance': {'name': 'web-shop'},
    'virtualmachine': {
        'name': 'web1',
        'cpu': 2,
        'ram': 1024,
        'nameservers': ['192.0.2.53'],
        'links': [{'rel': 'template', 'href': f'{BASE}/templates/1'}],
    },
}
_EDIT = {
    'enterprise': {'name': 'acme-eu'},
    'task': {'status': 'finished', 'progress': 100, 'log': 'done'},
    'template': {'description': 'Debian 12, patched', 'ram': 1024},
    'user': {'email': 'alice@example.org'},
    'virtualappliance': {'name': 'web-shop-eu'},
    'virtualmachine': {'cpu': 4, 'ram': 2048},
}


def request_body(
    schemas: SchemaStore, body: Body, vendor: str, versions: tuple[int, ...]
) -> dict[str, Any]:
    """Return the OpenAPI Request Body Object of a body an operation reads.

    Args:
        schemas: the JSON Schemas.
        body: what the operation reads.
        vendor: the vendor of the media types.
        versions: the versions, newest first.
    """
    content = {}
    for fmt in FORMATS:
        for version in versions:
            media = f'application/vnd.{vendor}.{body.name}+{fmt}; version={version}'
            content[media] = _media(schemas, body, version, fmt)
        content[f'application/{fmt}'] = _media(schemas, body, versions[0], fmt)
    needs = ', '.join(body.required) or 'nothing: fields left out keep their value'
    creation = _CREATION_LINKS.get(body.name) if body.required else None
    if creation:
        needs += f', and exactly one link with rel "{creation}"'
    return {
        'description': f'A {body.name} in JSON or XML. It needs {needs}. {XML_BODIES}',
        'required': True,
        'content': content,
    }


def example(schemas: SchemaStore, body: Body, version: int) -> dict[str, Any]:
    """Return the example of a body in a version."""
    full = (_CREATE if body.required else _EDIT).get(body.name, {})
    known = schemas.schema(body.name, version).get('properties', {})
    return {key: value for key, value in full.items() if key in known}


def _media(schemas: SchemaStore, body: Body, version: int, fmt: str) -> dict[str, Any]:
    media: dict[str, Any] = {'schema': _needing(schemas, body, version)}
    if fmt == 'json':
        # NOTE: an example is a JSON value; the XML form follows the schema's
        # xml keywords (and a string example would not match an object).
        media['example'] = example(schemas, body, version)
    return media


def _needing(schemas: SchemaStore, body: Body, version: int) -> dict[str, Any]:
    """The schema of a body: its request component, and what the operation
    needs of it."""
    ref = {'$ref': f'#/components/schemas/{body.name}_v{version}_request'}
    if not body.required:
        return ref
    need: dict[str, Any] = {'required': list(body.required)}
    rel = _CREATION_LINKS.get(body.name)
    if rel is not None:
        need['required'].append('links')
        need['properties'] = {
            'links': {
                'contains': {
                    'type': 'object',
                    'properties': {'rel': {'const': rel}},
                    'required': ['rel'],
                },
                'minContains': 1,
                'maxContains': 1,
            }
        }
    # NOTE: the wrapper names the document element, as its component does.
    xml = schemas.schema(body.name, version).get('xml')
    return {'allOf': [ref, need], 'xml': xml}
