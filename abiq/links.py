"""Absolute URLs and links: the only place abiq builds a URL.

The base URL of a request comes from, in order: ``ABIQ_PUBLIC_URL``; the
``Forwarded`` / ``X-Forwarded-*`` headers when the peer is a trusted proxy; the
request itself. A forwarded prefix goes in front of the API's own prefix.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config
    from abiq.media import Accepted

__all__ = ['Link', 'Urls', 'base_url']

Link = dict[str, str]

# APPSEC: a Host or forwarded value becomes part of every href; anything that
# is not a plain host[:port] is ignored rather than echoed into documents.
_HOST = re.compile(
    r'^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$'
)
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*/?$")
# NOTE: ids and names made only of unreserved characters (RFC 3986) need no
# quoting; checking is much cheaper than quoting every segment of every link.
_UNRESERVED = re.compile(r'[A-Za-z0-9._~-]+')


def _segment(segment: Any) -> str:
    text = str(segment)
    if _UNRESERVED.fullmatch(text):
        return text
    return quote(text, safe='')


def _trusted(req: falcon.Request, config: Config) -> bool:
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


def _proxied(req: falcon.Request, scheme: str, host: str) -> tuple[str, str, str]:
    forwarded = _forwarded(req.get_header('Forwarded') or '')
    scheme = forwarded.get('proto') or req.get_header('X-Forwarded-Proto') or scheme
    host = forwarded.get('host') or req.get_header('X-Forwarded-Host') or host
    prefix = req.get_header('X-Forwarded-Prefix') or ''
    scheme = scheme.split(',')[0].strip().lower()
    host = host.split(',')[0].strip()
    prefix = prefix.split(',')[0].strip().rstrip('/')
    if prefix and not prefix.startswith('/'):
        prefix = '/' + prefix
    return scheme, host, prefix if _PREFIX.match(prefix or '/') else ''


def base_url(req: falcon.Request, config: Config) -> str:
    """Return the absolute URL of the API root, without a trailing slash."""
    if config.public_url:
        return config.public_url.rstrip('/') + config.prefix
    env = req.env
    scheme = env.get('wsgi.url_scheme', 'http')
    host = req.get_header('Host') or ''
    if not _trusted(req, config):
        server = (env.get('SERVER_NAME', 'localhost'), env.get('SERVER_PORT', '80'))
        return _direct_base(scheme, host, server, config.prefix)
    if not _HOST.match(host):
        host = f'{env.get("SERVER_NAME", "localhost")}:{env.get("SERVER_PORT", "80")}'
    scheme, host, prefix = _proxied(req, scheme, host)
    if scheme not in ('http', 'https') or not _HOST.match(host):
        scheme, host = env.get('wsgi.url_scheme', 'http'), req.get_header('Host')
    return _joined(scheme, host, prefix + config.prefix)


# NOTE: a client sends the same Host on every request; the base URL it
# leads to is worked out once (a bounded cache: Host is the client's to set).
@lru_cache(maxsize=256)
def _direct_base(scheme: str, host: str, server: tuple[str, str], prefix: str) -> str:
    if not _HOST.match(host):
        host = f'{server[0]}:{server[1]}'
    return _joined(scheme, host, prefix)


def _joined(scheme: str, host: str, path: str) -> str:
    default_port = {'http': ':80', 'https': ':443'}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return f'{scheme}://{host}{path}'


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

    def url(self, *segments: Any, query: list[tuple[str, Any]] | None = None) -> str:
        """Return the absolute URL of a path below the API root."""
        path = '/'.join(map(_segment, segments))
        url = f'{self.base}/{path}'
        if query:
            url += '?' + urlencode([(key, str(value)) for key, value in query])
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

    def tasks(self, query: list[tuple[str, Any]] | None = None) -> str:
        """Return the URL of the tasks collection."""
        return self.url('tasks', query=query)

    def task(self, task_id: str, *action: str) -> str:
        """Return the URL of a task, or of one of its actions."""
        return self.url('tasks', task_id, *action)

    def enterprises(self, query: list[tuple[str, Any]] | None = None) -> str:
        """Return the URL of the enterprises collection."""
        return self.url('enterprises', query=query)

    def enterprise(self, enterprise_id: int, *sub: str) -> str:
        """Return the URL of an enterprise or of one of its collections."""
        return self.url('enterprises', enterprise_id, *sub)

    def user(self, user_id: int, *sub: str) -> str:
        """Return the URL of a user, or of its ``tokens`` collection."""
        return self.url('users', user_id, *sub)

    def token(self, token_id: int) -> str:
        """Return the URL of a token."""
        return self.url('tokens', token_id)
