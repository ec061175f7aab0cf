"""The client: one root URI, credentials, a format and a version.

It never builds a URI: every request goes to the root or to the href of a
link the server sent. ``Accept`` names the link's media type in the chosen
format and version, so a client pinned to version 1 gets version 1
everywhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from abiq.client.codec import MediaType
from abiq.client.codec import XmlPlans
from abiq.client.codec import decode
from abiq.client.codec import encode
from abiq.client.codec import media_type
from abiq.client.errors import ErrorItem
from abiq.client.errors import error_for
from abiq.client.resources import Collection
from abiq.client.resources import Link
from abiq.client.resources import Resource
from abiq.client.tasks import Task

__all__ = ['Client', 'Reply']

VERSIONS = (1, 2)
FORMATS = ('json', 'xml')
# NOTE: a POST that may have reached the server is sent again this many
# times after a network error, with the same Idempotency-Key: the server
# answers a repeat with the first answer, so work never starts twice.
RETRIES = 3


@dataclass(frozen=True)
class Reply:
    """A decoded answer."""

    status: int
    headers: httpx.Headers
    media: MediaType | None
    doc: dict[str, Any]
    body: bytes = b''

    @property
    def waited(self) -> bool:
        """Tell whether the server held the answer (``Preference-Applied``)."""
        return 'wait=' in self.headers.get('Preference-Applied', '')

    @property
    def retry_after(self) -> float | None:
        """The server's ``Retry-After`` in seconds, if it sent one."""
        return _seconds(self.headers.get('Retry-After'))


class Client:
    """A link-following client of an abiq server.

    Args:
        root_url: the API root, the one URI a client knows.
        auth: ``(user, password)`` for Basic, a token string for Bearer, or
            any ``httpx.Auth``.
        version: the API version to speak (1 or 2).
        format: ``json`` or ``xml``; the same objects come back either way.
        transport: an httpx transport (``httpx.WSGITransport(app)`` runs
            against an app in this process).
        timeout: seconds for each request (long polls add their wait).
        vendor: the vendor part of the media types (the server's
            ``ABIQ_VENDOR``).
    """

    def __init__(
        self,
        root_url: str,
        auth: Any = None,
        *,
        version: int = 2,
        format: str = 'json',  # noqa: A002 - the name the API uses
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        vendor: str = 'abiq',
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f'version must be one of {VERSIONS}')
        if format not in FORMATS:
            raise ValueError(f'format must be one of {FORMATS}')
        self.root_url = root_url
        self.version = version
        self.format = format
        self.vendor = vendor
        self.timeout = timeout
        self.plans = XmlPlans()
        if isinstance(auth, str):
            auth = _Bearer(auth)
        self.http = httpx.Client(
            auth=auth, transport=transport, timeout=timeout, follow_redirects=False
        )

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- navigation ----------------------------------------------------------

    def root(self) -> Resource:
        """GET the root document."""
        return self.get(Link('self', self.root_url, self._type('api')))

    def get(self, link: Link) -> Resource:
        """GET a link's target."""
        return self._resource(self._send('GET', link))

    def post(
        self,
        link: Link,
        body: dict[str, Any] | None = None,
        *,
        body_type: str = '',
        etag: str | None = None,
    ) -> Resource:
        """POST to a link, with an Idempotency-Key (see :data:`RETRIES`);
        with ``If-Match: etag`` when given."""
        return self._resource(
            self._send('POST', link, body, body_type=body_type, headers=_if(etag))
        )

    def put(
        self, link: Link, body: dict[str, Any], *, etag: str | None = None
    ) -> Resource:
        """PUT a document to a link (its type is the body's); with
        ``If-Match: etag`` when given."""
        return self._resource(self._send('PUT', link, body, headers=_if(etag)))

    def delete(self, link: Link, *, etag: str | None = None) -> Resource | None:
        """DELETE a link's target: None when gone (204), else the answer;
        with ``If-Match: etag`` when given."""
        reply = self._send('DELETE', link, headers=_if(etag))
        return None if reply.status == 204 else self._resource(reply)

    def poll(self, task: Task, seconds: int) -> Reply:
        """GET a task, asking the server to hold the answer until it changes
        (or ``seconds`` pass; 0: a plain GET)."""
        headers = {'Prefer': f'wait={seconds}'} if seconds else {}
        etag = task.headers.get('ETag')
        if etag:
            headers['If-None-Match'] = etag
        return self._send(
            'GET', task.link('self'), headers=headers, extra_timeout=seconds
        )

    def item(self, collection: Collection, doc: dict[str, Any]) -> Resource:
        """Wrap an item embedded in a collection page."""
        media = None
        for link in doc.get('links', []):
            if link['rel'] == 'self':
                media = media_type(link.get('type'))
                break
        if media is not None and media.version is None:
            media = MediaType(media.vendor, media.name, media.format, self.version)
        # NOTE: the page's ETag is not the item's: an item read from a page
        # has none, so its writes are unconditional (refresh() to get one).
        headers = httpx.Headers(collection.headers)
        headers.pop('ETag', None)
        reply = Reply(200, headers, media, doc)
        return self._resource(reply)

    # -- the wire ------------------------------------------------------------

    def _type(self, name: str) -> str:
        return MediaType(self.vendor, name, self.format, self.version).header()

    def _accept(self, link: Link) -> str:
        media = link.media
        if media is None:
            return f'application/{self.format}'
        return media.as_format(self.format).header(self.version)

    def _send(
        self,
        method: str,
        link: Link,
        body: dict[str, Any] | None = None,
        *,
        body_type: str = '',
        headers: dict[str, str] | None = None,
        extra_timeout: float = 0,
    ) -> Reply:
        sent = {'Accept': self._accept(link), **(headers or {})}
        content = None
        if body is not None:
            media = self._body_media(link, body_type)
            content = encode(body, media, self.plans)
            sent['Content-Type'] = media.header(self.version)
        attempts = 1
        if method == 'POST':
            sent['Idempotency-Key'] = str(uuid.uuid4())
            attempts += RETRIES
        timeout = httpx.Timeout(self.timeout + extra_timeout)
        for attempt in range(attempts):
            try:
                answer = self.http.request(
                    method, link.href, content=content, headers=sent, timeout=timeout
                )
                break
            except httpx.TransportError:
                if attempt + 1 == attempts:
                    raise
        return self._reply(answer)

    def _body_media(self, link: Link, body_type: str) -> MediaType:
        if body_type:
            return MediaType(self.vendor, body_type, self.format, self.version)
        media = link.media
        if media is None:
            raise ValueError(f'say which media type the body of {link.href} is')
        return MediaType(media.vendor, media.name, self.format, self.version)

    def _reply(self, answer: httpx.Response) -> Reply:
        media = media_type(answer.headers.get('Content-Type'))
        doc = (
            decode(answer.content, media, self.plans)
            if media and answer.content
            else {}
        )
        if answer.status_code >= 400:
            items = [
                ErrorItem(item.get('code', ''), item.get('message', ''))
                for item in doc.get('collection', [])
            ]
            retry_after = _seconds(answer.headers.get('Retry-After'))
            raise error_for(answer.status_code, items, retry_after)
        return Reply(answer.status_code, answer.headers, media, doc, answer.content)

    def _resource(self, reply: Reply) -> Resource:
        if reply.media is not None and reply.media.name == 'task':
            return Task(self, reply)
        if 'collection' in reply.doc and 'totalSize' in reply.doc:
            return Collection(self, reply)
        return Resource(self, reply)


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers['Authorization'] = f'Bearer {self.token}'
        yield request


def _if(etag: str | None) -> dict[str, str]:
    return {'If-Match': etag} if etag else {}


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
