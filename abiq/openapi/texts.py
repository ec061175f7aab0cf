"""The words of the OpenAPI document: error meanings, headers, descriptions.

Kept apart from the code that walks the routes, so the document's prose can
be read (and corrected) in one place.
"""

from __future__ import annotations

from abiq.limits import MAX_DEPTH
from abiq.limits import MAX_LINKS

__all__ = [
    'ERRORS',
    'ERROR_HEADERS',
    'HEADER',
    'HEADER_MEANINGS',
    'INFO',
    'REQUEST_HEADERS',
    'SECURITY_SCHEMES',
    'SHARED_HEADERS',
    'SUCCESS_HEADERS',
    'TASK_HEADERS',
    'XML_BODIES',
]

INFO = {
    'title': 'abiq',
    'description': (
        'A hypermedia API: a client knows the root and follows links by '
        'their rel; paths are not part of the contract. Generated from the '
        'routes and the JSON Schemas of the media types.'
    ),
    'contact': {'name': 'The operators of this abiq server'},
}

# What each error status means here (docs/errors.rst has every code).
ERRORS = {
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
    412: 'If-Match, If-Unmodified-Since or If-None-Match does not hold: the '
    'resource changed since it was read; nothing was changed',
    413: 'The body is larger than ABIQ_MAX_BODY bytes',
    415: 'The Content-Type is missing or is not a type the target reads',
    422: 'The Idempotency-Key was used with a different request body',
    429: 'Too many failed sign-ins for this user name from this address '
    '(ABIQ_AUTH_FAILURES_PER_MINUTE)',
    503: 'The database cannot be reached, or too many requests are waiting',
}
ERROR_HEADERS = {
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
ERROR_HEADERS[429] = ERROR_HEADERS[503]  # Retry-After
REQUEST_HEADERS = {
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
HEADER = {'schema': {'type': 'string'}}
#: the headers every answer carries (components/headers)
SHARED_HEADERS = {
    'X-Request-Id': {'description': 'The id of the request, also in the log', **HEADER},
}
#: how a caller authenticates (components/securitySchemes)
SECURITY_SCHEMES = {
    'basic': {'type': 'http', 'scheme': 'basic'},
    'bearer': {'type': 'http', 'scheme': 'bearer'},
}
TASK_HEADERS = {
    'ETag': {'description': 'A hash of the representation', **HEADER},
    'Retry-After': {
        'description': 'A suggested poll delay in seconds, while the task is active',
        'schema': {'type': 'integer'},
    },
    'Expires': {'description': 'expiresAt, once the task has ended', **HEADER},
}
SUCCESS_HEADERS = {
    201: ('Location',),
    202: ('Location', 'Content-Location'),
    303: ('Location', 'Content-Location'),
}
HEADER_MEANINGS = {
    'Location': 'The new resource (201), the task (202) or the result (303)',
    'Content-Location': 'The task this body represents',
}

#: what a request body in XML may be, besides its schema's XML mapping
XML_BODIES = (
    'In XML, the document element is the media type name and its child '
    'elements (fields and <link> elements) may come in any order: the order '
    'of the schema is the order the server writes, not one it demands. DTDs '
    'and entities are refused.'
)
