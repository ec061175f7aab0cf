"""gzip for bodies over 1 KiB, to clients that ask for it.

Compression is a content coding of the same representation: its ``ETag`` is
the representation's own with :data:`GZIP_SUFFIX` (``"....json2-gzip"``), a
distinct strong tag, so a compressed and a plain answer are never taken for
byte-identical (RFC 9110 8.8.3), while :mod:`abiq.preconditions` reads either
as the representation's tag: ``If-None-Match`` gives 304 and ``If-Match``
lets a write through for both. A weak tag would not do: ``If-Match`` compares
strongly, and clients such as requests and httpx ask for gzip by default.
"""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    import falcon

__all__ = ['GZIP_SUFFIX', 'MIN_SIZE', 'Compression', 'add_vary', 'wants_gzip']

MIN_SIZE = 1024
#: what marks the entity tag of a gzip body
GZIP_SUFFIX = '-gzip'
# NOTE: level 6 (zlib's default) gives nearly all of level 9's ratio on JSON
# and XML at a third of its cost; mtime=0 makes the bytes reproducible.
_LEVEL = 6


def add_vary(resp: falcon.Response, name: str) -> None:
    """Add a request header's name to the answer's ``Vary``."""
    current = resp.get_header('Vary')
    if not current:
        resp.set_header('Vary', name)
    elif name.lower() not in current.lower():
        resp.set_header('Vary', f'{current}, {name}')


def wants_gzip(header: str | None) -> bool:
    """Tell whether an ``Accept-Encoding`` value accepts gzip.

    ``gzip`` (or ``x-gzip``) with a non-zero ``q`` says yes, with ``q=0``
    no, whatever ``*`` says; otherwise ``*`` decides.
    """
    if not header:
        return False
    star = False
    for part in header.split(','):
        coding, _, params = part.partition(';')
        coding = coding.strip().lower()
        if coding in ('gzip', 'x-gzip'):
            return _quality(params) > 0
        if coding == '*':
            star = _quality(params) > 0
    return star


def _quality(params: str) -> float:
    for param in params.split(';'):
        key, _, value = param.partition('=')
        if key.strip().lower() == 'q':
            try:
                return float(value.strip())
            except ValueError:
                return 0.0  # NOTE: an unreadable weight is not a yes
    return 1.0


def _revalidated(req: falcon.Request, resp: falcon.Response) -> None:
    """Give a ``304`` the ``ETag`` of a gzip answer when so asked.

    A 304 carries the ``ETag`` the 200 would have (RFC 9110 15.4.5); a
    client revalidating the gzip tag abiq gave it had a gzip body.
    """
    etag = resp.get_header('ETag')
    if etag and not etag.startswith('W/'):
        asked = req.get_header('If-None-Match') or ''
        zipped = _zipped(etag)
        if zipped in asked and wants_gzip(req.get_header('Accept-Encoding')):
            resp.set_header('ETag', zipped)
            add_vary(resp, 'Accept-Encoding')


def _zipped(etag: str) -> str:
    return f'{etag[:-1]}{GZIP_SUFFIX}"' if etag.endswith('"') else etag


class Compression:
    """Falcon middleware: gzip a large body when the client accepts it.

    Registered first, so its ``process_response`` runs last: an idempotent
    POST's stored answer and the ``ETag`` are those of the plain body.
    """

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Compress the body, mark the ``ETag``, say ``Vary``."""
        data = resp.data
        if data is None and str(resp.status)[:3] == '304':
            _revalidated(req, resp)
            return
        if data is None or len(data) <= MIN_SIZE or resp.get_header('Content-Encoding'):
            return
        # NOTE: a cache must not hand the gzip body to a client that did
        # not ask for it, nor the plain one to a client that did.
        add_vary(resp, 'Accept-Encoding')
        if not wants_gzip(req.get_header('Accept-Encoding')):
            return
        resp.data = gzip.compress(data, compresslevel=_LEVEL, mtime=0)
        resp.set_header('Content-Encoding', 'gzip')
        etag = resp.get_header('ETag')
        if etag and not etag.startswith('W/'):
            resp.set_header('ETag', _zipped(etag))
