"""What a browser's requests need: no cross-site writes, forms as bodies,
and post/redirect/get (API.md section 12).

A browser attaches credentials by itself (the Basic password it prompted
for, the token form's cookie), also to requests another site makes it
send. So every unsafe request whose ``Origin`` or ``Sec-Fetch-Site`` says
it comes from another site is refused (403), unless that origin is one
``ABIQ_CORS_ORIGINS`` allows; and every form a page sends, and every
request a cookie authenticates, must carry the caller's CSRF token.

A form (``application/x-www-form-urlencoded``) stands for the JSON body the
target reads: its fields are typed by that media type's JSON Schema
(:func:`abiq.html.forms.document_of`) and the request goes on as a JSON
request would, validated by the same rules. A form may ask for PUT or
DELETE with ``_method`` (HTML forms only send GET and POST). Its success
is answered ``303 See Other`` to what it made or changed, so that a reload
does not send it again; a new token's 201 is shown as it is (the secret
is shown once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import falcon
import orjson

from abiq.codec.bodies import too_large
from abiq.errors import ApiError
from abiq.errors import forbidden
from abiq.html import own_href
from abiq.html.csrf import CSRF_FIELD
from abiq.html.csrf import CSRF_HEADER
from abiq.html.csrf import valid_csrf
from abiq.html.facts import FormState
from abiq.html.forms import document_of
from abiq.html.forms import fields_of

if TYPE_CHECKING:
    from abiq.config import Config
    from abiq.schemas import SchemaStore

__all__ = ['BrowserForms']

_SAFE = frozenset({'GET', 'HEAD', 'OPTIONS'})
_FORM = 'application/x-www-form-urlencoded'
_OVERRIDES = frozenset({'PUT', 'DELETE'})
_CROSS = frozenset({'cross-site', 'same-site'})
_CONTROL = frozenset({CSRF_FIELD, '_method', '_next'})


class BrowserForms:
    """Falcon middleware: refuse cross-site writes, read forms, check their
    CSRF token, answer them 303.

    Args:
        config: ``max_body`` and ``cors_origins``.
        schemas: the JSON Schemas forms are typed by.
    """

    def __init__(self, config: Config, schemas: SchemaStore) -> None:
        self.config = config
        self.schemas = schemas

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Refuse a cross-site write; read a form (and its ``_method``)."""
        if req.method in _SAFE:
            return
        self._same_site(req)
        if (req.content_type or '').partition(';')[0].strip().lower() != _FORM:
            return
        if req.content_length and req.content_length > self.config.max_body:
            raise too_large(self.config.max_body)
        data = req.bounded_stream.read(self.config.max_body + 1)
        if len(data) > self.config.max_body:
            raise too_large(self.config.max_body)
        try:
            fields = dict(parse_qsl(data.decode(), keep_blank_values=True))
        except UnicodeDecodeError as ex:
            raise ApiError.one(400, '400-BAD-REQUEST', 'The form is not UTF-8') from ex
        override = fields.get('_method', '').upper()
        if req.method == 'POST' and override in _OVERRIDES:
            req.method = override
        req.context.form = fields

    def _same_site(self, req: falcon.Request) -> None:
        origin = req.get_header('Origin')
        allowed = self.config.cors_origins
        if origin is not None and origin in allowed:
            return
        own = urlsplit(req.context.base)
        if origin is not None and origin != f'{own.scheme}://{own.netloc}':
            raise forbidden(
                f'A request from another site ({origin[:100]}) cannot change anything'
            )
        if req.get_header('Sec-Fetch-Site') in _CROSS:
            raise forbidden('A request from another site cannot change anything')

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        """Check the CSRF token; turn a form into the body it stands for."""
        req.context.resource = resource
        if req.method in _SAFE or not getattr(resource, 'auth', True):
            return
        fields = getattr(req.context, 'form', None)
        caller = getattr(req.context, 'caller', None)
        if fields is not None:
            if not valid_csrf(caller, fields.get(CSRF_FIELD)):
                raise forbidden("The form lacks its page's CSRF token; reload the page")
            self._as_body(req, resource, fields)
        elif getattr(req.context, 'cookie_auth', False):
            if not valid_csrf(caller, req.get_header(CSRF_HEADER)):
                raise forbidden(
                    f'A request signed in by cookie needs its {CSRF_HEADER}'
                )

    def _as_body(
        self, req: falcon.Request, resource: Any, fields: dict[str, str]
    ) -> None:
        body = getattr(resource, 'reads', {}).get(req.method)
        name = body.name if body is not None else None
        values = {key: value for key, value in fields.items() if key not in _CONTROL}
        req.context.form_state = FormState(
            _own_url(req, self.config), req.method, name, values
        )
        if name is None:
            req.content_type, req.context.raw_body = None, b''
            return
        doc = document_of(fields_of(self.schemas, name, 2), values)
        req.content_type = 'application/json'
        req.context.raw_body = orjson.dumps(doc)

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Answer a form's success with 303 to what it made or changed."""
        if getattr(req.context, 'form_state', None) is None or not req_succeeded:
            return
        status = resp.status_code
        if status == 201 and getattr(resource, 'shows_once', False):
            return
        target = None
        if status in (200, 201, 202):
            target = (
                resp.location
                or own_href(getattr(resp.context, 'document', None) or {})
                or _own_url(req, self.config)
            )
        elif status == 204:
            target = self._next(req)
        if target:
            resp.status = falcon.HTTP_303
            resp.location = target

    def _next(self, req: falcon.Request) -> str:
        """Where a form goes once its target is gone: ``_next``, if it is
        ours (never another site: no open redirect), else the root."""
        wanted = req.context.form.get('_next', '')
        base = req.context.base
        if wanted.startswith(base + '/') and '\\' not in wanted:
            return wanted
        return base + '/'


def _own_url(req: falcon.Request, config: Config) -> str:
    """Return the request's URL as its links spell it (the base URL's)."""
    return req.context.base + req.path[len(config.prefix) :]
