"""The request's identity and base URL, and the text no request may hold."""

from __future__ import annotations

import itertools
import secrets
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import unquote_to_bytes

from abiq.errors import ApiError
from abiq.links import base_url

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config

__all__ = ['RequestText', 'holds_nul', 'not_utf8']

# NOTE: a request id only has to be unique: this process's random prefix and
# a counter. os.urandom (and uuid4) would release the GIL on every request,
# which under load costs a thread switch each time.
_PROCESS = secrets.token_hex(8)
_REQUESTS = itertools.count(1)


def holds_nul(req: falcon.Request) -> bool:
    """Tell whether the path, query or a header carries U+0000."""
    env = req.env
    if '\x00' in req.path or '%00' in env.get('QUERY_STRING', ''):
        return True
    # NOTE: every text of the environ, headers included; none may hold it.
    return any('\x00' in value for value in env.values() if type(value) is str)


def not_utf8(req: falcon.Request) -> bool:
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


class RequestText:
    """Falcon middleware: a request id and base URL; 400 for bad text.

    Bad text is U+0000 anywhere, or a path or query that is not UTF-8. The
    base URL is known before the check, so even that 400 is rendered with
    the request's own links; every answer says its ``X-Request-Id``.

    Args:
        config: ``public_url``, ``prefix`` and ``trusted_proxies``.
    """

    def __init__(self, config: Config) -> None:
        self.config = config

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Note the request's id and base URL; refuse bad text."""
        req.context.request_id = f'{_PROCESS}{next(_REQUESTS):08x}'
        req.context.base = base_url(req, self.config)
        # NOTE: no id, name, search or key holds U+0000, and PostgreSQL fails
        # any query given one (RFC 9110 calls it invalid in a field value).
        if holds_nul(req):
            raise ApiError.one(
                400,
                '400-BAD-REQUEST',
                'U+0000 is not allowed in the path, the query or a header',
            )
        if not_utf8(req):
            raise ApiError.one(
                400, '400-BAD-REQUEST', 'The path or the query is not valid UTF-8'
            )

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Tag the answer with the request's id."""
        # NOTE: none when falcon refused the request before any middleware.
        request_id = getattr(req.context, 'request_id', None)
        if request_id:
            resp.set_header('X-Request-Id', request_id)
