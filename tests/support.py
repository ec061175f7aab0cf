"""Test helpers: an HTTP client that validates every response it receives.

Every vendor-typed body is checked against the schema of its Content-Type
(JSON Schema for JSON; XSD, then the JSON Schema of the converted document,
for XML), and its ``describedby`` link must name that same schema, with the
schema's own media type.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import orjson
import webtest
from lxml import etree

from abiq import xmlcodec
from abiq.codec import Codec

VENDOR_TYPE = re.compile(
    r'^application/vnd\.abiq\.(?P<name>[a-z]+)\+(?P<fmt>json|xml); version=(?P<v>\d+)$'
)
BASE = 'http://localhost/api'
# What a describedby link says its target is (API.md section 2).
SCHEMA_TYPES = {'json': 'application/schema+json', 'xml': 'application/xml'}


def basic(name: str, password: str = 'secret') -> str:
    """Return a Basic Authorization header value."""
    return 'Basic ' + base64.b64encode(f'{name}:{password}'.encode()).decode()


@dataclass
class Answer:
    """A response with its decoded, validated document."""

    status: int
    headers: Any
    body: bytes
    doc: dict[str, Any] | None
    media: tuple[str, str, int] | None

    def link(self, rel: str) -> str:
        """Return the href of the link with a rel (fails when absent)."""
        hrefs = self.links(rel)
        assert hrefs, f'no {rel!r} link in {[lk["rel"] for lk in self.doc["links"]]}'
        return hrefs[0]

    def links(self, rel: str) -> list[str]:
        """Return the hrefs of every link with a rel."""
        return [
            lk['href'] for lk in (self.doc or {}).get('links', []) if lk['rel'] == rel
        ]

    def has(self, rel: str) -> bool:
        """Tell whether the document has a link with a rel."""
        return bool(self.links(rel))

    @property
    def codes(self) -> list[str]:
        """Return the codes of an error collection."""
        return [item['code'] for item in self.doc['collection']]


class Api:
    """A webtest client for the app; validates every answer.

    Args:
        app: the WSGI application.
        codec: the app's codec (schemas, XSDs and XML mappings).
    """

    def __init__(self, app: Any, codec: Codec, auth: str | None = None) -> None:
        self.test_app = webtest.TestApp(app)
        self.codec = codec
        self.auth = auth

    def as_user(self, auth: str | None) -> Api:
        """Return a client with other credentials (None: anonymous)."""
        clone = Api.__new__(Api)
        clone.test_app, clone.codec, clone.auth = self.test_app, self.codec, auth
        return clone

    def request(
        self,
        method: str,
        url: str,
        *,
        accept: str | None = None,
        body: Any = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> Answer:
        """Send a request; assert the status when given; validate the answer."""
        if not url.startswith('http'):
            url = BASE + url
        all_headers = dict(headers or {})
        if accept is not None:
            all_headers['Accept'] = accept
        if self.auth and 'Authorization' not in all_headers:
            all_headers['Authorization'] = self.auth
        data = _encode(body, content_type)
        if content_type is not None:
            all_headers['Content-Type'] = content_type
        resp = self.test_app.request(
            url, method=method, headers=all_headers, body=data, expect_errors=True
        )
        answer = self._validated(resp)
        # NOTE: a 500 is a bug; only a test that asks for one may get it.
        assert answer.status != 500 or status == 500, answer.body[:2000]
        if status is not None:
            assert answer.status == status, (answer.status, answer.body[:2000])
        return answer

    def get(self, url: str, **kwargs: Any) -> Answer:
        return self.request('GET', url, **kwargs)

    def post(self, url: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.request('POST', url, body=body, **kwargs)

    def put(self, url: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.request('PUT', url, body=body, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Answer:
        return self.request('DELETE', url, **kwargs)

    def _validated(self, resp: Any) -> Answer:
        content_type = resp.headers.get('Content-Type', '')
        match = VENDOR_TYPE.match(content_type)
        if not match:
            # NOTE: any other vendor's type (the OpenAPI document's) is not ours
            assert resp.status_int in (204, 304) or not content_type.startswith(
                'application/vnd.abiq.'
            ), content_type
            return Answer(resp.status_int, resp.headers, resp.body, None, None)
        name, fmt, version = match['name'], match['fmt'], int(match['v'])
        assert 'Accept' in resp.headers.get('Vary', ''), 'Vary: Accept missing'
        if resp.request.method == 'HEAD':
            assert resp.body == b'', 'a HEAD answer has no body'
            return Answer(resp.status_int, resp.headers, resp.body, None, None)
        doc = validate_document(self.codec, resp.body, name, fmt, version)
        schema_ext = 'xsd' if fmt == 'xml' else 'schemas'
        described = [lk for lk in doc['links'] if lk['rel'] == 'describedby']
        assert len(described) == 1, described
        assert described[0]['href'].endswith(
            f'/{schema_ext}/v{version}/{name}.{"xsd" if fmt == "xml" else "json"}'
        ), described
        assert described[0].get('type') == SCHEMA_TYPES[fmt], described
        if resp.status_int == 500:
            assert 'X-Request-Id' in resp.headers
        return Answer(
            resp.status_int, resp.headers, resp.body, doc, (name, fmt, version)
        )


def validate_document(codec: Codec, body: bytes, name: str, fmt: str, version: int):
    """Validate a response body against its schema; return it as a dict."""
    if fmt == 'xml':
        root = etree.fromstring(body)
        xsd = codec.xsds[(name, version)]
        assert xsd.validate(root), [str(e) for e in xsd.error_log]
        doc = xmlcodec.from_tree(root, codec.plans[(name, version)], nulls=True)
    else:
        doc = orjson.loads(body)
    # NOTE: jsonschema itself, not the compiled gate the server checks
    # bodies with; and every valid answer of the suite must pass the gate too.
    checker = codec.schemas.checker(name, version)
    problems = checker.explain(doc)
    assert not problems, problems
    assert checker.gate.is_valid(doc), f'the compiled gate refuses a valid {name}'
    return doc


def _encode(body: Any, content_type: str | None) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return orjson.dumps(body)
