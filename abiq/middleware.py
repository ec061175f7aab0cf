"""Per-request policies, in order: database, base URL, negotiation, identity."""

from __future__ import annotations

import itertools
import logging
import secrets
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import unquote_to_bytes

import peewee
from playhouse.pool import PooledDatabase

from abiq import idempotency
from abiq.db.faults import discard_connection
from abiq.db.models import database
from abiq.errors import ApiError
from abiq.links import Urls
from abiq.links import base_url
from abiq.media import Accepted
from abiq.media import MediaTypeError

if TYPE_CHECKING:
    import falcon

    from abiq.resources.base import Services

__all__ = ['ApiMiddleware']

log = logging.getLogger('abiq')

_SAFE = frozenset({'GET', 'HEAD', 'OPTIONS'})
# NOTE: a request id only has to be unique: this process's random prefix and
# a counter. os.urandom (and uuid4) would release the GIL on every request,
# which under load costs a thread switch each time.
_PROCESS = secrets.token_hex(8)
_REQUESTS = itertools.count(1)


def _holds_nul(req: falcon.Request) -> bool:
    """Tell whether the path, query or a header carries U+0000."""
    env = req.env
    if '\x00' in req.path or '%00' in env.get('QUERY_STRING', ''):
        return True
    # NOTE: every text of the environ, headers included; none may hold it.
    return any('\x00' in value for value in env.values() if type(value) is str)


def _not_utf8(req: falcon.Request) -> bool:
    """Tell whether the path or the query is not UTF-8 once decoded."""
    # NOTE: WSGI hands both over as latin-1 text (PEP 3333), the path already
    # percent-decoded; falcon decodes them as UTF-8 with replacement, which
    # would turn a bad byte into U+FFFD without a word.
    path, query = req.env.get('PATH_INFO', ''), req.env.get('QUERY_STRING', '')
    if path.isascii() and query.isascii() and '%' not in query:
        return False
    try:
        path.encode('latin-1').decode('utf-8')
        unquote_to_bytes(query.encode('latin-1')).decode('utf-8')
    except UnicodeError:
        return True
    return False


def _connect() -> None:
    # NOTE: each server thread keeps its SQLite connection open between
    # requests (opening one costs more than the query); PostgreSQL ones go
    # back to the pool after each request. A database that cannot be
    # reached is a fault (abiq.db.faults): the error handler answers 503.
    database.connect(reuse_if_open=True)


def _end_transaction() -> None:
    """Roll back what a failed request left open; return pooled connections."""
    try:
        if not database.is_closed() and database.in_transaction():
            database.rollback()
        if isinstance(database.obj, PooledDatabase):
            # NOTE: back to the pool: with several API processes the pool, not
            # the server threads, bounds connections to PostgreSQL.
            database.close()
    except (peewee.DatabaseError, peewee.InterfaceError):
        # NOTE: the connection broke under this request; the answer stands
        # (a fault was already answered 503), the connection goes.
        discard_connection()


def _finish_keyed(req: falcon.Request, resp: falcon.Response) -> None:
    """Store a keyed POST's answer; a database fault does not change it."""
    try:
        idempotency.finish(req, resp)
    except (peewee.DatabaseError, peewee.InterfaceError) as ex:
        # NOTE: the work behind the answer is done (a 202's task is
        # committed); turning it into a 503 would invite a second submission.
        # The key's record stays unfinished and frees itself after the lease.
        log.warning('could not store the answer of an idempotent request: %s', ex)
        discard_connection()


class ApiMiddleware:
    """Prepares ``req.context``: request id, URLs, negotiated type, caller.

    Args:
        services: the application's shared services.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self.negotiator = services.codec.negotiator

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Note the request's identity and base URL; refuse bad text.

        Bad text is U+0000 anywhere, or a path or query that is not UTF-8.
        """
        req.context.request_id = f'{_PROCESS}{next(_REQUESTS):08x}'
        req.context.base = base_url(req, self.services.config)
        req.context.caller = None
        # NOTE: no id, name, search or key holds U+0000, and PostgreSQL fails
        # any query given one (RFC 9110 calls it invalid in a field value).
        if _holds_nul(req):
            raise ApiError.one(
                400,
                '400-BAD-REQUEST',
                'U+0000 is not allowed in the path, the query or a header',
            )
        if _not_utf8(req):
            raise ApiError.one(
                400, '400-BAD-REQUEST', 'The path or the query is not valid UTF-8'
            )

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        """Negotiate the answer's media type, then authenticate the caller."""
        if resource is None:
            return
        if getattr(resource, 'uses_database', True):
            _connect()
        method = 'GET' if req.method == 'HEAD' else req.method
        name = getattr(resource, 'answers', {}).get(method)
        accepted = Accepted('errors', 'json', self.negotiator.latest)
        if name:
            any_name = method in getattr(resource, 'any_name', ())
            try:
                accepted = self.negotiator.negotiate(
                    req.accept, name, any_name=any_name
                )
            except MediaTypeError as ex:
                raise ApiError.one(ex.status, ex.code, ex.message) from ex
        req.context.accepted = accepted
        req.context.urls = Urls(req.context.base, self.negotiator.vendor, accepted)
        if getattr(resource, 'auth', True):
            header = req.get_header('Authorization')
            req.context.caller = self.services.authenticator.authenticate(header, req)
            if req.method == 'POST' and req.get_header('Idempotency-Key') is not None:
                user_id = req.context.caller.user.id
                config = self.services.config
                resp.complete = idempotency.begin(req, resp, user_id, config)

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Tag every answer with its request id; after a change to accounts,
        forget the credentials this process remembers."""
        _finish_keyed(req, resp)
        if req.method not in _SAFE and getattr(resource, 'changes_accounts', False):
            self.services.authenticator.forget()
        request_id = getattr(req.context, 'request_id', None)
        if request_id:
            resp.set_header('X-Request-Id', request_id)
        _end_transaction()
