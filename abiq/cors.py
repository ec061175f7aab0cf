"""OPTIONS, CORS, and the HTTP middleware that wraps every answer.

``OPTIONS`` is answered ``204`` with the ``Allow`` a ``405`` on the same URL
gives, before credentials are asked for. With ``ABIQ_CORS_ORIGINS`` set, a
request from an allowed ``Origin`` gets the CORS headers; a preflight is the
``OPTIONS`` answer plus what it allows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from falcon.routing import map_http_methods

from abiq.compression import Compression
from abiq.compression import add_vary

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config

__all__ = ['ALLOWED_HEADERS', 'EXPOSED_HEADERS', 'Cors', 'Options', 'http_middleware']

ALLOWED_HEADERS = (
    'Accept, Authorization, Content-Type, Idempotency-Key, If-Match, '
    'If-None-Match, If-Unmodified-Since, Prefer'
)
EXPOSED_HEADERS = (
    'Location, Content-Location, ETag, Retry-After, Link, Preference-Applied, '
    'X-Request-Id'
)
_MAX_AGE = '600'


def http_middleware(config: Config) -> list[Any]:
    """Return the middleware in front of abiq's own, in order."""
    cors = [Cors(config.cors_origins)] if config.cors_origins else []
    return [Compression(), *cors, Options()]


def allowed_methods(resource: Any) -> str:
    """Return the ``Allow`` of a resource, as falcon's ``405`` gives it."""
    # NOTE: falcon lists the responders' methods sorted, then OPTIONS.
    methods = sorted(map_http_methods(resource))
    return ', '.join([*methods, 'OPTIONS'])


class Options:
    """Falcon middleware: answer ``OPTIONS`` with ``204`` and ``Allow``."""

    def __init__(self) -> None:
        self._allow: dict[int, str] = {}

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        """Answer OPTIONS at once: no credentials, no database."""
        if req.method != 'OPTIONS':
            return
        # NOTE: resources live as long as the app; one entry per route.
        allow = self._allow.get(id(resource))
        if allow is None:
            allow = self._allow[id(resource)] = allowed_methods(resource)
        resp.status = 204
        resp.set_header('Allow', allow)
        resp.complete = True


class Cors:
    """Falcon middleware: the CORS headers for allowed origins.

    Args:
        origins: the allowed origins (``scheme://host[:port]``), or ``*``.
    """

    def __init__(self, origins: tuple[str, ...]) -> None:
        self.any = '*' in origins
        self.origins = frozenset(origins)

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Allow an allowed origin to read the answer; answer a preflight."""
        if not self.any:
            # NOTE: the answer depends on Origin even when it says no.
            add_vary(resp, 'Origin')
        origin = req.get_header('Origin')
        if not origin or not (self.any or origin in self.origins):
            return
        if self.any and not req.get_header('Authorization'):
            resp.set_header('Access-Control-Allow-Origin', '*')
        else:
            # APPSEC: no Access-Control-Allow-Credentials: a page sends its
            # Authorization header itself; the browser's ambient credentials
            # (a cached Basic login) never go along.
            resp.set_header('Access-Control-Allow-Origin', origin)
            add_vary(resp, 'Origin')
        if req.method == 'OPTIONS' and req.get_header('Access-Control-Request-Method'):
            if allow := resp.get_header('Allow'):
                resp.set_header('Access-Control-Allow-Methods', allow)
            resp.set_header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
            resp.set_header('Access-Control-Max-Age', _MAX_AGE)
        else:
            resp.set_header('Access-Control-Expose-Headers', EXPOSED_HEADERS)
