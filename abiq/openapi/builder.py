"""Walk the route table into the paths and operations of the document.

The paths and methods come from the route table, what each operation reads
and answers from the declarations of its resource
(:class:`abiq.resources.base.Resource`), its words from its docstrings.
"""

from __future__ import annotations

import copy
import http
import inspect
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

import orjson
from falcon.routing import map_http_methods

from abiq import __version__
from abiq.converters import ID_SCHEMA
from abiq.limits import MAX_HAS
from abiq.media import FORMATS
from abiq.mediatypes import VERSIONS
from abiq.openapi import texts
from abiq.openapi.bodies import BASE
from abiq.openapi.bodies import request_body
from abiq.openapi.components import components
from abiq.openapi.components import prune
from abiq.openapi.links import Operations
from abiq.openapi.rules import NO_BODY
from abiq.openapi.rules import answer_names
from abiq.openapi.rules import description
from abiq.openapi.rules import error_statuses

if TYPE_CHECKING:
    from abiq.config import Config
    from abiq.resources.base import Resource
    from abiq.schemas import SchemaStore

__all__ = ['MEDIA_TYPE', 'build_document', 'with_server']

#: the media type of the document (the registered OpenAPI type)
MEDIA_TYPE = 'application/vnd.oai.openapi+json;version=3.1'

# NOTE: the latest version first: a tool that ignores media type parameters
# (schemathesis does) then reads an answer without Accept as it is meant.
_NEWEST_FIRST = tuple(sorted(VERSIONS, reverse=True))
_FIELD = re.compile(r'\{(\w+)(?::(\w+))?[^}]*\}')
# The schema of a path field, by its converter (a string without one).
_CONVERTED = {'id': ID_SCHEMA, 'int': {'type': 'integer'}}
_BASE = orjson.dumps(BASE)[1:-1]


def build_document(
    routes: Iterable[tuple[str, Resource]], schemas: SchemaStore, config: Config
) -> dict[str, Any]:
    """Return the OpenAPI document of a route table, without ``servers``.

    Args:
        routes: (URI template, resource) pairs, as added to the app.
        schemas: the JSON Schemas of every media type and version.
        config: the settings (vendor, prefix, page size).
    """
    builder = _Builder(schemas, config)
    for template, resource in routes:
        builder.add_route(template[len(config.prefix) :], resource)
    return builder.document()


def with_server(document: dict[str, Any], base: str) -> dict[str, Any]:
    """Return the document with the API root URL as its one server (and in
    the hrefs of its examples)."""
    data = orjson.dumps(document).replace(_BASE, orjson.dumps(base)[1:-1])
    return {**orjson.loads(data), 'servers': [{'url': base}]}


class _Builder:
    def __init__(self, schemas: SchemaStore, config: Config) -> None:
        self.schemas = schemas
        self.config = config
        self.vendor = config.vendor
        self.paths: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, str] = {}
        self.bodies: set[tuple[str, int]] = set()
        self.errors: set[int] = set()
        self.operations = Operations()

    def document(self) -> dict[str, Any]:
        self.operations.add(self.paths)
        document = {
            'openapi': '3.1.0',
            'info': {**texts.INFO, 'version': __version__},
            'servers': [],
            'tags': [
                {'name': tag, 'description': text}
                for tag, text in sorted(self.tags.items())
            ],
            'security': [{'basic': []}, {'bearer': []}],
            'paths': self.paths,
            'components': {
                'schemas': components(self.schemas, self.bodies),
                'responses': {
                    str(status): self._error_response(status)
                    for status in sorted(self.errors)
                },
                'headers': copy.deepcopy(texts.SHARED_HEADERS),
                'securitySchemes': copy.deepcopy(texts.SECURITY_SCHEMES),
            },
        }
        prune(document)
        return document

    def add_route(self, template: str, resource: Resource) -> None:
        # NOTE: the prefix itself (``/api``) answers as ``/api/`` does; an
        # OpenAPI path below the server URL cannot name it.
        if not template:
            return
        path = _FIELD.sub(r'{\1}', template)
        fields = [
            {
                'name': name,
                'in': 'path',
                'required': True,
                'schema': dict(_CONVERTED.get(converter, {'type': 'string'})),
            }
            for name, converter in _FIELD.findall(template)
        ]
        item = self.paths.setdefault(path, {})
        if fields:
            item['parameters'] = fields
        # NOTE: a resource names its tag (the generic ones, their kind's
        # segment), else it is its module's name and first docstring line.
        tag = resource.tag or type(resource).__module__.rsplit('.', 1)[-1]
        self.tags[tag] = resource.tag_text or _first_line(inspect.getmodule(resource))
        for method, responder in map_http_methods(resource).items():
            item[method.lower()] = self._operation(
                path, method, responder, resource, bool(fields), tag
            )

    def _operation(
        self,
        path: str,
        method: str,
        responder: Any,
        resource: Resource,
        has_fields: bool,
        tag: str,
    ) -> dict[str, Any]:
        # NOTE: HEAD is GET without the body (abiq.app._add_route).
        declared = 'GET' if method == 'HEAD' else method
        summary = _first_line(responder)
        slug = re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_') or 'root'
        statuses = resource.statuses.get(declared, (200,))
        # NOTE: every representation answers If-None-Match (preconditions)
        if declared == 'GET' and resource.answers.get('GET') and 304 not in statuses:
            statuses += (304,)
        operation: dict[str, Any] = {
            'operationId': f'{method.lower()}_{slug}',
            'summary': summary if method != 'HEAD' else f'{summary} (headers only)',
            'description': description(responder, method, statuses),
            'tags': [tag],
        }
        self._remember(path, method, resource, operation['operationId'])
        parameters = self._parameters(method, declared, resource)
        if parameters:
            operation['parameters'] = parameters
        body = resource.reads.get(declared)
        if body is not None:
            self.bodies |= {(body.name, version) for version in _NEWEST_FIRST}
            operation['requestBody'] = request_body(
                self.schemas, body, self.vendor, _NEWEST_FIRST
            )
        operation['responses'] = self._responses(
            method, declared, resource, statuses, has_fields
        )
        if not resource.auth:
            operation['security'] = []
        return operation

    def _responses(
        self,
        method: str,
        declared: str,
        resource: Resource,
        statuses: tuple[int, ...],
        has_fields: bool,
    ) -> dict[str, Any]:
        """Return an operation's answers: its own, then the shared errors."""
        responses = {
            str(status): self._success(status, method, declared, resource)
            for status in statuses
        }
        for status in sorted(error_statuses(method, declared, resource, has_fields)):
            self.errors.add(status)
            responses[str(status)] = {'$ref': f'#/components/responses/{status}'}
        return responses

    def _parameters(
        self, method: str, declared: str, resource: Resource
    ) -> list[dict[str, Any]]:
        parameters = []
        spec = resource.paging if declared == 'GET' else None
        if spec is not None:
            parameters += [
                _query('startwith', {'type': 'integer', 'minimum': 0}),
                _query(
                    'limit',
                    {'type': 'integer', 'minimum': 0, 'maximum': self.config.max_page},
                ),
                _query('has', {'type': 'string', 'maxLength': MAX_HAS}),
                _query('by', {'type': 'string', 'enum': sorted(spec.sort_fields)}),
                _query('asc', {'type': 'boolean'}),
            ]
            parameters += [
                _query(name, schema) for name, schema in resource.filters.items()
            ]
        headers = list(resource.request_headers.get(declared, ()))
        if declared == 'GET' and resource.answers.get('GET'):
            headers += [] if 'If-None-Match' in headers else ['If-None-Match']
        if declared in resource.conditional:
            headers += ['If-Match', 'If-Unmodified-Since']
        if method == 'POST' and resource.auth:
            headers.append('Idempotency-Key')
        parameters += [
            {'name': name, 'in': 'header', **texts.REQUEST_HEADERS[name]}
            for name in headers
        ]
        return parameters

    def _remember(
        self, path: str, method: str, resource: Resource, operation_id: str
    ) -> None:
        """Note the item paths and the creations, for the OpenAPI links."""
        name = resource.answers.get('GET' if method == 'HEAD' else method)
        if name is None:
            return
        if method == 'GET' and path.count('{') == 1 and path.endswith('}'):
            self.operations.items[name] = path
        if 201 in resource.statuses.get(method, ()):
            self.operations.creates[operation_id] = name

    def _success(
        self, status: int, method: str, declared: str, resource: Resource
    ) -> dict[str, Any]:
        answer: dict[str, Any] = {
            'description': http.HTTPStatus(status).phrase,
            'headers': {'X-Request-Id': {'$ref': '#/components/headers/X-Request-Id'}},
        }
        names = answer_names(status, declared, resource)
        for name in texts.SUCCESS_HEADERS.get(status, ()):
            answer['headers'][name] = {
                'description': texts.HEADER_MEANINGS[name],
                **texts.HEADER,
            }
        if 'task' in names:
            answer['headers'].update(copy.deepcopy(texts.TASK_HEADERS))
        elif status in (200, 304) and declared == 'GET':
            answer['headers']['ETag'] = copy.deepcopy(texts.TASK_HEADERS['ETag'])
        if status in NO_BODY or method == 'HEAD':
            return answer
        other = resource.other_answers.get(declared)
        if other is not None:
            media, schema = other
            answer['content'] = {media: {'schema': schema} if schema else {}}
        elif names:
            answer['content'] = self._content(names)
        return answer

    def _content(self, names: Iterable[str]) -> dict[str, Any]:
        content = {
            f'application/vnd.{self.vendor}.{name}+{fmt}; version={version}': {
                'schema': {'$ref': f'#/components/schemas/{name}_v{version}'}
            }
            for name in names
            for fmt in FORMATS
            for version in _NEWEST_FIRST
        }
        # NOTE: a browser gets the page of the same answer (API.md section 12)
        content['text/html'] = {'schema': {'type': 'string'}}
        return content

    def _error_response(self, status: int) -> dict[str, Any]:
        headers = {'X-Request-Id': {'$ref': '#/components/headers/X-Request-Id'}}
        headers.update(texts.ERROR_HEADERS.get(status, {}))
        return {
            'description': texts.ERRORS[status],
            'headers': headers,
            'content': self._content(['errors']),
        }


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {'name': name, 'in': 'query', 'required': False, 'schema': schema}


def _first_line(obj: Any) -> str:
    return (obj.__doc__ or '').strip().split('\n', 1)[0].strip()
