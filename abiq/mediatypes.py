"""Media type values: what a request names and what it is answered in.

:class:`MediaRange` is one entry of an ``Accept`` header (or a
``Content-Type``), :class:`Accepted` the representation chosen for an answer;
:mod:`abiq.media` negotiates from the one to the other.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    'FORMATS',
    'PAGE_TYPES',
    'PLAIN_TYPES',
    'VERSIONS',
    'Accepted',
    'MediaRange',
    'MediaTypeError',
    'page_q',
    'parse_accept',
    'parse_media_type',
]

#: the API versions every media type is served in
VERSIONS = (1, 2)
FORMATS = ('json', 'xml')
#: the ranges a browser names for a page (API.md section 12)
PAGE_TYPES = frozenset({'text/html', 'application/xhtml+xml'})
PLAIN_TYPES = {
    'application/json': 'json',
    'application/xml': 'xml',
    'text/xml': 'xml',
}


class MediaTypeError(ValueError):
    """A media type cannot be served or read; ``code`` says which rule failed.

    ``status`` is the HTTP status the code starts with (406, 415 or 431).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = int(code[:3])


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header (or a ``Content-Type``)."""

    mime: str
    params: tuple[tuple[str, str], ...]
    q: float

    def param(self, name: str) -> str | None:
        """Return a parameter's value, or None."""
        for key, value in self.params:
            if key == name:
                return value
        return None

    @property
    def format(self) -> str | None:
        """Return the format this range names, if any (a page names none)."""
        if self.mime in PAGE_TYPES:
            return None
        if self.mime.endswith('+json'):
            return 'json'
        if self.mime.endswith('+xml'):
            return 'xml'
        return PLAIN_TYPES.get(self.mime)


@dataclass(frozen=True)
class Accepted:
    """The negotiated representation: media type name, format and version.

    ``view`` is ``'html'`` when a browser asked for a page: the document is
    still built as JSON is (its links say ``+json``), then shown as HTML
    (:mod:`abiq.html`).
    """

    name: str
    format: str
    version: int
    view: str | None = None

    @property
    def variant(self) -> str:
        """Return what the bytes are: ``json``, ``xml`` or ``html``."""
        return self.view or self.format

    def content_type(self, vendor: str) -> str:
        """Return the full vendor type with its version."""
        media = f'application/vnd.{vendor}.{self.name}+{self.format}'
        return f'{media}; version={self.version}'

    def link_type(self, vendor: str, name: str) -> str:
        """Return the ``type`` of a link to a ``name`` resource (no version)."""
        return f'application/vnd.{vendor}.{name}+{self.format}'

    def as_name(self, name: str) -> Accepted:
        """Return the same format and version for another media type name."""
        return Accepted(name, self.format, self.version, self.view)


def parse_media_type(text: str, q_default: float = 1.0) -> MediaRange | None:
    """Parse one media type with parameters; None when it is not one."""
    mime, _, rest = text.partition(';')
    mime = mime.strip().lower()
    if mime.count('/') != 1 or not all(mime.split('/')):
        return None
    params, q = [], q_default
    for part in rest.split(';'):
        key, sep, value = part.partition('=')
        key, value = key.strip().lower(), value.strip().strip('"')
        if not sep or not key:
            continue
        if key == 'q':
            try:
                q = min(max(float(value), 0.0), 1.0)
            except ValueError:
                q = 0.0
        else:
            params.append((key, value))
    return MediaRange(mime, tuple(params), q)


def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    """Parse an ``Accept`` header; a missing or empty one accepts anything."""
    if not header or not header.strip():
        return (MediaRange('*/*', (), 1.0),)
    ranges = (parse_media_type(item) for item in header.split(','))
    return tuple(item for item in ranges if item is not None)


def page_q(ranges: tuple[MediaRange, ...]) -> float:
    """Return the q a header gives an HTML page (0 when it names none)."""
    return max((media.q for media in ranges if media.mime in PAGE_TYPES), default=0)
