"""The OpenAPI 3.1 document of the API, generated from the routes and the
JSON Schemas.

Nothing here is written twice: the paths and methods come from the route
table, what each operation reads and answers from the declarations of its
resource (:class:`abiq.resources.base.Resource`), and the representations
from ``schemas/v{N}/*.json``, each copied under ``components/schemas`` as
``{name}_v{N}`` with its ``$ref`` pointed inside the document.

Request bodies use ``{name}_v{N}_request``: the same schema without its
``required`` lists, which describe what a response carries, not what a body
must (docs/media-types.rst); an operation's own needs are added to it. A link
keeps ``rel`` and ``href`` required everywhere (``common_v{N}`` is shared).
"""

from __future__ import annotations

import copy
import http
import inspect
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

from falcon.routing import map_http_methods

from abiq import __version__
from abiq.converters import ID_SCHEMA
from abiq.limits import MAX_DEPTH
from abiq.limits import MAX_HAS
from abiq.limits import MAX_LINKS
from abiq.media import FORMATS
from abiq.representation import VERSIONS

if TYPE_CHECKING:
    from abiq.config import Config
    from abiq.resources.base import Body
    from abiq.resources.base import Resource
    from abiq.schemas import SchemaStore

__all__ = ['MEDIA_TYPE', 'build_document', 'with_server']

#: the media type of the document (the registered OpenAPI type)
MEDIA_TYPE = 'application/vnd.oai.openapi+json;version=3.1'

_SAFE = frozenset({'GET', 'HEAD', 'OPTIONS'})
_NO_BODY = frozenset({204, 304})
# NOTE: the latest version first: a tool that ignores media type parameters
# (schemathesis does) then reads an answer without Accept as it is meant.
_NEWEST_FIRST = tuple(sorted(VERSIONS, reverse=True))
_FIELD = re.compile(r'\{(\w+)(?::(\w+))?[^}]*\}')
# The schema of a path field, by its converter (a string without one).
_CONVERTED = {'id': ID_SCHEMA, 'int': {'type': 'integer'}}

# What each error status means here (docs/errors.rst has every code).
_ERRORS = {
    400: 'Bad request: the body, a query parameter or a header is unusable '
    f'(one entry per problem); a body nested deeper than {MAX_DEPTH} levels '
    f'or holding more than {MAX_LINKS} links; U+0000 in the request, or a '
    'path or query that is not UTF-8',
    401: 'Missing or bad credentials',
    403: "The caller's role lacks the privilege",
    404: 'No such resource, or one of another enterprise',
    406: 'Nothing in Accept can be served',
    409: "The resource's state does not allow the request, or a request with "
    'the same Idempotency-Key is still being processed',
    413: 'The body is larger than ABIQ_MAX_BODY bytes',
    412: 'If-Match, If-Unmodified-Since or If-None-Match does not hold: the '
    'resource changed since it was read; nothing was changed',
    415: 'The Content-Type is missing or is not a type the target reads',
    422: 'The Idempotency-Key was used with a different request body',
    429: 'Too many failed sign-ins for this user name from this address '
    '(ABIQ_AUTH_FAILURES_PER_MINUTE)',
    503: 'The database cannot be reached, or too many requests are waiting',
}
_ERROR_HEADERS = {
    401: {
        'WWW-Authenticate': {
            'description': 'The challenge: Basic and Bearer, realm "abiq"',
            'schema': {'type': 'string'},
        }
    },
    503: {
        'Retry-After': {
            'description': 'Seconds to wait before trying again',
            'schema': {'type': 'integer'},
        }
    },
}
_ERROR_HEADERS[429] = _ERROR_HEADERS[503]  # Retry-After
_REQUEST_HEADERS = {
    'Prefer': {
        'description': 'wait=N (RFC 7240): answer when the task ends or '
        'changes, within N seconds (capped by ABIQ_MAX_WAIT)',
        'schema': {'type': 'string'},
    },
    'If-None-Match': {
        'description': 'An ETag read before (or *): 304 while it is unchanged',
        'schema': {'type': 'string'},
    },
    'If-Match': {
        'description': 'The ETag of the resource as read (any format or '
        'version; or *): 412 and nothing done when it changed since',
        'schema': {'type': 'string'},
    },
    'If-Unmodified-Since': {
        'description': "An HTTP date: 412 when the task's Last-Modified is "
        'later (ignored by resources without one)',
        'schema': {'type': 'string'},
    },
    'Idempotency-Key': {
        'description': 'Makes the POST safe to repeat: the same key and body '
        'within 24 hours get the first answer again',
        'schema': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    },
}
_HEADER = {'schema': {'type': 'string'}}
_TASK_HEADERS = {
    'ETag': {'description': 'A hash of the representation', **_HEADER},
    'Retry-After': {
        'description': 'A suggested poll delay in seconds, while the task is active',
        'schema': {'type': 'integer'},
    },
    'Expires': {'description': 'expiresAt, once the task has ended', **_HEADER},
}
_SUCCESS_HEADERS = {
    201: ('Location',),
    202: ('Location', 'Content-Location'),
    303: ('Location', 'Content-Location'),
}
_HEADER_MEANINGS = {
    'Location': 'The new resource (201), the task (202) or the result (303)',
    'Content-Location': 'The task this body represents',
}


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
    """Return the document with the API root URL as its one server."""
    return {**document, 'servers': [{'url': base}]}


class _Builder:
    def __init__(self, schemas: SchemaStore, config: Config) -> None:
        self.schemas = schemas
        self.config = config
        self.vendor = config.vendor
        self.paths: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, str] = {}
        self.bodies: set[tuple[str, int]] = set()
        self.errors: set[int] = set()

    def document(self) -> dict[str, Any]:
        components = {
            f'{name}_v{version}': _component(
                self.schemas.schema(name, version), name, version
            )
            for name, version in self.schemas.names()
        }
        for name, version in sorted(self.bodies):
            components[f'{name}_v{version}_request'] = _request_component(
                self.schemas.schema(name, version), name, version
            )
        return {
            'openapi': '3.1.0',
            'info': {
                'title': 'abiq',
                'version': __version__,
                'description': (
                    'A hypermedia API: a client knows the root and follows '
                    'links by their rel; paths are not part of the contract. '
                    'Generated from the routes and the JSON Schemas of the '
                    'media types.'
                ),
            },
            'servers': [],
            'tags': [
                {'name': tag, 'description': text}
                for tag, text in sorted(self.tags.items())
            ],
            'security': [{'basic': []}, {'bearer': []}],
            'paths': self.paths,
            'components': {
                'schemas': dict(sorted(components.items())),
                'responses': {
                    str(status): self._error_response(status)
                    for status in sorted(self.errors)
                },
                'headers': {
                    'X-Request-Id': {
                        'description': 'The id of the request, also in the log',
                        'schema': {'type': 'string'},
                    }
                },
                'securitySchemes': {
                    'basic': {'type': 'http', 'scheme': 'basic'},
                    'bearer': {'type': 'http', 'scheme': 'bearer'},
                },
            },
        }

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
        tag = type(resource).__module__.rsplit('.', 1)[-1]
        self.tags[tag] = _first_line(inspect.getmodule(resource))
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
        operation: dict[str, Any] = {
            'operationId': f'{method.lower()}_{slug}',
            'summary': summary if method != 'HEAD' else f'{summary} (headers only)',
            'tags': [tag],
        }
        parameters = self._parameters(method, declared, resource)
        if parameters:
            operation['parameters'] = parameters
        body = resource.reads.get(declared)
        if body is not None:
            operation['requestBody'] = self._request_body(body)
        statuses = resource.statuses.get(declared, (200,))
        if declared == 'GET' and resource.answers.get('GET') and 304 not in statuses:
            statuses += (304,)
        responses = {
            str(status): self._success(status, method, declared, resource)
            for status in statuses
        }
        for status in sorted(
            self._error_statuses(method, declared, resource, has_fields)
        ):
            self.errors.add(status)
            responses[str(status)] = {'$ref': f'#/components/responses/{status}'}
        operation['responses'] = responses
        if not resource.auth:
            operation['security'] = []
        return operation

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
            {'name': name, 'in': 'header', **_REQUEST_HEADERS[name]} for name in headers
        ]
        return parameters

    def _request_body(self, body: Body) -> dict[str, Any]:
        content = {}
        for fmt in FORMATS:
            for version in _NEWEST_FIRST:
                self.bodies.add((body.name, version))
                media = f'application/vnd.{self.vendor}.{body.name}+{fmt}'
                content[f'{media}; version={version}'] = {
                    'schema': self._needing(body, version)
                }
            latest = self._needing(body, _NEWEST_FIRST[0])
            content[f'application/{fmt}'] = {'schema': latest}
        return {'required': True, 'content': content}

    def _needing(self, body: Body, version: int) -> dict[str, Any]:
        """The schema of a body: the request component, and what the
        operation needs of it."""
        ref = {'$ref': f'#/components/schemas/{body.name}_v{version}_request'}
        if not body.required:
            return ref
        # NOTE: the wrapper names the document element, as its component does.
        xml = self.schemas.schema(body.name, version).get('xml')
        return {'allOf': [ref, {'required': list(body.required)}], 'xml': xml}

    def _success(
        self, status: int, method: str, declared: str, resource: Resource
    ) -> dict[str, Any]:
        answer: dict[str, Any] = {
            'description': http.HTTPStatus(status).phrase,
            'headers': {'X-Request-Id': {'$ref': '#/components/headers/X-Request-Id'}},
        }
        names = _answer_names(status, declared, resource)
        for name in _SUCCESS_HEADERS.get(status, ()):
            answer['headers'][name] = {'description': _HEADER_MEANINGS[name], **_HEADER}
        if 'task' in names:
            answer['headers'].update(copy.deepcopy(_TASK_HEADERS))
        elif status in (200, 304) and declared == 'GET':
            answer['headers']['ETag'] = copy.deepcopy(_TASK_HEADERS['ETag'])
        if status in _NO_BODY or method == 'HEAD':
            return answer
        other = resource.other_answers.get(declared)
        if other is not None:
            media, schema = other
            answer['content'] = {media: {'schema': schema} if schema else {}}
        elif names:
            answer['content'] = self._content(names)
        return answer

    def _content(self, names: Iterable[str]) -> dict[str, Any]:
        return {
            f'application/vnd.{self.vendor}.{name}+{fmt}; version={version}': {
                'schema': {'$ref': f'#/components/schemas/{name}_v{version}'}
            }
            for name in names
            for fmt in FORMATS
            for version in _NEWEST_FIRST
        }

    def _error_statuses(
        self, method: str, declared: str, resource: Resource, has_fields: bool
    ) -> set[int]:
        """The errors an operation can answer, by the rule that raises each
        (docs/errors.rst, "Which check answers first")."""
        statuses = {400}  # U+0000 in the path, the query or a header
        if getattr(resource, 'uses_database', True):
            statuses.add(503)
        if resource.answers.get(declared):
            statuses.add(406)
        if resource.auth:
            statuses |= {401, 429}  # credentials; a throttled user name
        if has_fields:
            statuses.add(404)
        if declared in resource.reads:
            statuses |= {413, 415}
        if method not in _SAFE and resource.auth:
            statuses |= {403, 409}  # roles and states
        if method == 'POST' and resource.auth:
            statuses |= {409, 413, 422}  # Idempotency-Key
        if declared in resource.conditional:
            statuses.add(412)
        return statuses

    def _error_response(self, status: int) -> dict[str, Any]:
        headers = {'X-Request-Id': {'$ref': '#/components/headers/X-Request-Id'}}
        headers.update(_ERROR_HEADERS.get(status, {}))
        return {
            'description': _ERRORS[status],
            'headers': headers,
            'content': self._content(['errors']),
        }


def _answer_names(status: int, declared: str, resource: Resource) -> list[str]:
    """The media type names a success status can carry."""
    name = resource.answers.get(declared)
    if status in _NO_BODY or name is None:
        return []
    # NOTE: work accepted (202) and a task whose result is elsewhere (303)
    # are always answered with the task.
    if status in (202, 303):
        return ['task']
    if declared in resource.any_name and name != 'task':
        return [name, 'task']
    return [name]


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {'name': name, 'in': 'query', 'required': False, 'schema': schema}


def _first_line(obj: Any) -> str:
    return (obj.__doc__ or '').strip().split('\n', 1)[0].strip()


def _component(schema: dict[str, Any], name: str, version: int) -> dict[str, Any]:
    schema.pop('$schema', None)
    return _rewritten(schema, f'{name}_v{version}', version, keep_required=True)


def _request_component(
    schema: dict[str, Any], name: str, version: int
) -> dict[str, Any]:
    schema.pop('$schema', None)
    schema['title'] = f'{schema.get("title", name)} (as a request body)'
    links = schema.get('properties', {}).get('links')
    if links is not None:
        # NOTE: what abiq.limits enforces of a body; an answer has no bound.
        links['maxItems'] = MAX_LINKS
    return _rewritten(
        schema, f'{name}_v{version}_request', version, keep_required=False
    )


def _rewritten(node: Any, here: str, version: int, *, keep_required: bool) -> Any:
    """Point every ``$ref`` inside the document; make ``xml`` an OpenAPI XML
    Object (whose only other fields are ``x-`` extensions)."""
    if isinstance(node, list):
        return [
            _rewritten(item, here, version, keep_required=keep_required)
            for item in node
        ]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == '$ref':
            result[key] = _ref(value, here, version)
        elif key == 'xml':
            result[key] = _xml_object(value)
        elif key == 'required' and not keep_required and isinstance(value, list):
            continue
        elif key in ('properties', '$defs'):
            # NOTE: property names are data, not keywords ("required" may be one).
            result[key] = {
                name: _rewritten(sub, here, version, keep_required=keep_required)
                for name, sub in value.items()
            }
        else:
            result[key] = _rewritten(value, here, version, keep_required=keep_required)
    return result


def _ref(ref: str, here: str, version: int) -> str:
    target, _, fragment = ref.partition('#')
    if target:
        component = f'{target.removesuffix(".json")}_v{version}'
    else:
        component = here
    return f'#/components/schemas/{component}{fragment}'


def _xml_object(xml: dict[str, Any]) -> dict[str, Any]:
    # NOTE: "type" (the XSD type of a value, for abiq.xsdgen) is not an
    # OpenAPI XML Object field; it becomes an extension.
    return {
        ('x-xsd-type' if key == 'type' else key): value for key, value in xml.items()
    }
