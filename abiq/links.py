"""Absolute URLs and links: the only place abiq builds a URL.

The base URL of a request comes from, in order: ``ABIQ_PUBLIC_URL``; the
``Forwarded`` / ``X-Forwarded-*`` headers when the peer is a trusted proxy; the
request's ``Host``; the address the server listens on. An invalid value is
skipped for the next source. A forwarded prefix goes in front of the API's
own prefix.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import quote
from urllib.parse import quote_plus

from abiq.caches import BoundedCache

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config
    from abiq.media import Accepted

__all__ = ['DIRECT_BASES', 'Link', 'Urls', 'base_url', 'from_trusted_proxy']

Link = dict[str, str]

# APPSEC: a Host or forwarded value becomes part of every href; anything that
# is not a plain host[:port] (a DNS name of at most 253 characters, or a
# bracketed IPv6 address) is skipped rather than echoed into documents.
_HOST = re.compile(
    r'^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$'
)
_MAX_HOST = 253 + len(':65535')
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*/?$")
_MAX_PREFIX = 256
_SCHEMES = ('http', 'https')
# NOTE: ids, names and query values (page numbers, statuses) made only of
# unreserved characters (RFC 3986) need no quoting; checking is much cheaper
# than quoting every segment and query of every link.
_UNRESERVED = re.compile(r'[A-Za-z0-9._~-]+')


def _query_text(text: str) -> str:
    return text if _UNRESERVED.fullmatch(text) else quote_plus(text)


def query_string(pairs: Iterable[tuple[str, Any]]) -> str:
    """Return a query string of (key, value) pairs, as ``urlencode`` makes it
    (values made text with ``str``), quoting only what needs it."""
    return '&'.join(
        f'{_query_text(key)}={_query_text(str(value))}' for key, value in pairs
    )


def _segment(segment: Any) -> str:
    text = str(segment)
    if _UNRESERVED.fullmatch(text):
        return text
    return quote(text, safe='')


def from_trusted_proxy(req: falcon.Request, config: Config) -> bool:
    """Tell whether the request's peer is one of ``ABIQ_TRUSTED_PROXIES``."""
    if not config.trusted_proxies:
        return False
    try:
        peer = ipaddress.ip_address(req.env.get('REMOTE_ADDR', ''))
    except ValueError:
        return False
    return any(peer in network for network in config.trusted_proxies)


def _forwarded(header: str) -> dict[str, str]:
    """Return the first element of an RFC 7239 ``Forwarded`` header."""
    first = header.split(',')[0]
    pairs = (part.partition('=') for part in first.split(';'))
    return {key.strip().lower(): value.strip().strip('"') for key, _, value in pairs}


def _first(value: str | None) -> str:
    """Return the first entry of a comma-separated header value."""
    return value.split(',')[0].strip() if value else ''


def _host(value: str | None) -> str | None:
    """Return a host[:port] when it is a valid one, else None."""
    host = (value or '').strip()
    return host if len(host) <= _MAX_HOST and _HOST.match(host) else None


def _scheme(value: str | None) -> str | None:
    """Return a header's scheme when it is http or https, else None."""
    scheme = _first(value).lower()
    return scheme if scheme in _SCHEMES else None


def _prefix(value: str | None) -> str:
    """Return a forwarded path prefix when it is a valid path, else ''."""
    prefix = _first(value).rstrip('/')
    if prefix and not prefix.startswith('/'):
        prefix = '/' + prefix
    valid = len(prefix) <= _MAX_PREFIX and _PREFIX.match(prefix or '/')
    return prefix if valid else ''


def _valid(*candidates: str | None) -> str | None:
    """Return the first candidate that is valid (not None)."""
    return next((found for found in candidates if found is not None), None)


def base_url(req: falcon.Request, config: Config) -> str:
    """Return the absolute URL of the API root, without a trailing slash.

    Each source of the scheme, the host and the prefix is taken in order
    and skipped when invalid: a trusted proxy's ``Forwarded``, then its
    ``X-Forwarded-*``, then the request's own ``Host``, and finally the
    address the server listens on.
    """
    if config.public_url:
        return config.public_url.rstrip('/') + config.prefix
    if not from_trusted_proxy(req, config):
        return _direct_base(req, config.prefix)
    forwarded = _forwarded(req.get_header('Forwarded') or '')
    proto = req.get_header('X-Forwarded-Proto')
    scheme = _valid(_scheme(forwarded.get('proto')), _scheme(proto))
    host = _valid(
        _host(forwarded.get('host')),
        _host(_first(req.get_header('X-Forwarded-Host'))),
        _host(req.get_header('Host')),
    )
    prefix = _prefix(req.get_header('X-Forwarded-Prefix'))
    return _built(req, scheme, host, prefix + config.prefix)


# NOTE: a client sends the same Host on every request; the base URL it leads
# to is worked out once. Host is the client's to set: only values short
# enough to be a host are kept, in a cache bounded in entries and bytes.
DIRECT_BASES: BoundedCache[str] = BoundedCache(256, 256 * 1024)
_BASE_BYTES = 400


def _direct_base(req: falcon.Request, prefix: str) -> str:
    """Return the base URL of a request that came through no proxy."""
    raw = req.get_header('Host') or ''
    if len(raw) > _MAX_HOST:
        return _built(req, None, None, prefix)
    env = req.env
    server = (env.get('SERVER_NAME'), env.get('SERVER_PORT'))
    key = (raw, env.get('wsgi.url_scheme'), server, prefix)
    found = DIRECT_BASES.get(key)
    if found is None:
        found = _built(req, None, _host(raw), prefix)
        DIRECT_BASES.put(key, found, _BASE_BYTES + 2 * (len(raw) + len(prefix)))
    return found


def _built(req: falcon.Request, scheme: str | None, host: str | None, path: str) -> str:
    """Join a URL; a scheme or host left None comes from the server."""
    env = req.env
    if host is None:
        host = f'{env.get("SERVER_NAME", "localhost")}:{env.get("SERVER_PORT", "80")}'
    return _joined(scheme or env.get('wsgi.url_scheme', 'http'), host, path)


def _joined(scheme: str, host: str, path: str) -> str:
    default_port = {'http': ':80', 'https': ':443'}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return f'{scheme}://{host}{path}'


# NOTE: filled by abiq.entities.register: the registry knows each kind's URL
# segment and whether a task can name it; the URL builder only reads them,
# so it sits below the registry (and the renderers the registry holds).
#: kind -> URL segment, read by :meth:`Urls.of` (a dict get)
SEGMENTS: dict[str, str] = {}
#: the kinds a task can target or end on, read by :meth:`Urls.target`
TARGETABLE: set[str] = set()


class Urls:
    """Builds the absolute URLs and links of one request.

    Args:
        base: the API root URL (from :func:`base_url`).
        vendor: the media type vendor.
        accepted: the negotiated representation; links carry its format.
    """

    def __init__(self, base: str, vendor: str, accepted: Accepted) -> None:
        self.base = base
        self.vendor = vendor
        self.accepted = accepted
        self._types: dict[str, str] = {}
        self._collections: dict[str, str] = {}

    def url(self, *segments: Any, query: list[tuple[str, Any]] | None = None) -> str:
        """Return the absolute URL of a path below the API root."""
        path = '/'.join(map(_segment, segments))
        url = f'{self.base}/{path}'
        if query:
            url += '?' + query_string(query)
        return url

    def link(
        self,
        rel: str,
        href: str,
        name: str | None = None,
        title: str | None = None,
    ) -> Link:
        """Return a link; ``name`` is the media type name of the target."""
        link = {'rel': rel, 'href': href}
        if name:
            link_type = self._types.get(name)
            if link_type is None:
                link_type = self.accepted.link_type(self.vendor, name)
                self._types[name] = link_type
            link['type'] = link_type
        if title:
            link['title'] = title
        return link

    def schema(self, name: str, version: int, fmt: str) -> str:
        """Return the URL of a media type's JSON Schema or XSD."""
        if fmt == 'xml':
            return self.url('xsd', f'v{version}', f'{name}.xsd')
        return self.url('schemas', f'v{version}', f'{name}.json')

    def root(self) -> str:
        """Return the URL of the root document."""
        return self.base + '/'

    def of(
        self, kind: str, *path: Any, query: list[tuple[str, Any]] | None = None
    ) -> str:
        """Return the URL of a kind's collection, of one, or below one.

        ``of('user')`` is the users collection, ``of('user', 7)`` user 7,
        ``of('user', 7, 'tokens')`` its tokens (segments from the registry).
        """
        if query or len(path) > 1:
            return self.url(SEGMENTS[kind], *path, query=query)
        # PERF: a page of 25 tasks asks for ~90 of these; the collection's
        # URL is made once a request, each item's is one more segment.
        collection = self._collections.get(kind)
        if collection is None:
            collection = self._collections[kind] = self.url(SEGMENTS[kind])
        return f'{collection}/{_segment(path[0])}' if path else collection

    def target(self, kind: str | None, entity_id: Any) -> str | None:
        """Return the URL of a task's target or result, None when a task
        cannot name that kind."""
        if kind not in TARGETABLE:
            return None
        return self.url(SEGMENTS[kind], entity_id)
