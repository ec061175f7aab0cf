"""The OpenAPI document, served so the root's ``service-desc`` link resolves.

Like the schemas it is public: tools that generate clients or test the API
fetch it without credentials, and it describes the API, not anyone's data.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from typing import Any

import falcon
import orjson

from abiq.caches import BoundedCache
from abiq.openapi import MEDIA_TYPE
from abiq.openapi import build_document
from abiq.openapi import with_server
from abiq.resources.base import Resource

if TYPE_CHECKING:
    from abiq.resources.base import Services

__all__ = ['OpenApi']

# NOTE: a client sends the same Host on every request; a handful of base URLs
# is all a process sees, but Host is the client's to set, so the cache is
# bounded in entries and in bytes (a document is ~250 KB).
_MAX_BASES = 64
_MAX_BYTES = 8 * 1024 * 1024


class OpenApi(Resource):
    """``openapi.json``: the OpenAPI 3.1 document of every route.

    Args:
        services: the shared services.
        routes: the app's (URI template, resource) pairs; read on the first
            request, once every route has been added.
    """

    auth = False
    uses_database = False
    other_answers = {'GET': (MEDIA_TYPE, {'type': 'object'})}

    def __init__(self, services: Services, routes: list[tuple[str, Any]]) -> None:
        super().__init__(services)
        self.routes = routes
        self._lock = threading.Lock()
        self._document: dict[str, Any] | None = None
        self.bodies: BoundedCache[bytes] = BoundedCache(_MAX_BASES, _MAX_BYTES)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer the OpenAPI document, its server being this request's API root."""
        resp.data = self._body(self.urls(req).base)
        resp.content_type = MEDIA_TYPE
        resp.cache_control = ('public', 'max-age=3600')

    def _body(self, base: str) -> bytes:
        body = self.bodies.get(base)
        if body is not None:
            return body
        with self._lock:
            if self._document is None:
                self._document = build_document(
                    self.routes, self.codec.schemas, self.config
                )
            body = orjson.dumps(with_server(self._document, base))
            self.bodies.put(base, body, len(body) + 2 * len(base))
        return body
