"""Transports for client tests: the real app in this process, every answer
validated against its schema, and connections that drop on purpose."""

from __future__ import annotations

from typing import Any

import httpx

from abiq.client import Client
from tests.support import VENDOR_TYPE
from tests.support import validate_document

ROOT = 'http://localhost/api/'


class ValidatingTransport(httpx.BaseTransport):
    """Runs requests on the app in-process and validates every vendor
    document it answers (JSON Schema, or XSD then JSON Schema).

    Args:
        app: the WSGI app.
        drop_after: request methods whose first answer is lost on the way
            back (the app handled them; the client sees a dropped
            connection), as many times as listed.
    """

    def __init__(self, app: Any, drop_after: list[str] | None = None) -> None:
        self.app = app
        self.inner = httpx.WSGITransport(app=app)
        self.drop_after = list(drop_after or [])
        self.seen: list[tuple[str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.seen.append((request.method, response.status_code))
        match = VENDOR_TYPE.match(response.headers.get('Content-Type', ''))
        if match and response.content:
            validate_document(
                self.app.services.codec,
                response.content,
                match['name'],
                match['fmt'],
                int(match['v']),
            )
        assert response.status_code != 500, response.content[:2000]
        if request.method in self.drop_after:
            self.drop_after.remove(request.method)
            raise httpx.ReadError('connection dropped after the server answered')
        return response


def client_for(
    app: Any, auth: Any, **kwargs: Any
) -> tuple[Client, ValidatingTransport]:
    """Return a client of the in-process app, and its transport."""
    transport = ValidatingTransport(app, kwargs.pop('drop_after', None))
    return Client(ROOT, auth=auth, transport=transport, **kwargs), transport
