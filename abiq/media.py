"""Vendor media types: parsing, ``Accept`` negotiation and ``Content-Type`` checks.

Every representation is ``application/vnd.{vendor}.{name}+{format}; version={N}``.
The rules are the table of API.md section 2; the version a response is written
in always comes from the accepted type (as DRF's AcceptHeaderVersioning does).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    'FORMATS',
    'Accepted',
    'MediaRange',
    'MediaTypeError',
    'Negotiator',
    'parse_accept',
    'parse_media_type',
]

FORMATS = ('json', 'xml')

# Specificity of a matching range; a higher value wins a tie on q.
_EXACT, _PLAIN, _SUFFIX, _WILDCARD = 3, 2, 1, 0
_PLAIN_TYPES = {
    'application/json': 'json',
    'application/xml': 'xml',
    'text/xml': 'xml',
}
_SUFFIX_TYPES = {'application/*+json': 'json', 'application/*+xml': 'xml'}
_ANY_TYPES = ('*/*', 'application/*')


class MediaTypeError(ValueError):
    """A media type cannot be served or read; ``code`` says which rule failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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
        """Return the format this range names, if any."""
        if self.mime.endswith('+json'):
            return 'json'
        if self.mime.endswith('+xml'):
            return 'xml'
        return _PLAIN_TYPES.get(self.mime)


@dataclass(frozen=True)
class Accepted:
    """The negotiated representation: media type name, format and version."""

    name: str
    format: str
    version: int

    def content_type(self, vendor: str) -> str:
        """Return the full vendor type with its version."""
        media = f'application/vnd.{vendor}.{self.name}+{self.format}'
        return f'{media}; version={self.version}'

    def link_type(self, vendor: str, name: str) -> str:
        """Return the ``type`` of a link to a ``name`` resource (no version)."""
        return f'application/vnd.{vendor}.{name}+{self.format}'

    def as_name(self, name: str) -> Accepted:
        """Return the same format and version for another media type name."""
        return Accepted(name, self.format, self.version)


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


@lru_cache(maxsize=512)
def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    """Parse an ``Accept`` header; a missing or empty one accepts anything."""
    if not header or not header.strip():
        return (MediaRange('*/*', (), 1.0),)
    ranges = (parse_media_type(item) for item in header.split(','))
    return tuple(item for item in ranges if item is not None)


class Negotiator:
    """Negotiation rules for one vendor and its supported versions.

    Args:
        vendor: the vendor part of the media types (``abiq``).
        versions: the supported versions, oldest first.
    """

    def __init__(self, vendor: str, versions: tuple[int, ...]) -> None:
        self.vendor = vendor
        self.versions = versions
        self.latest = max(versions)
        self._prefix = f'application/vnd.{vendor}.'

    def negotiate(
        self, accept: str | None, name: str, *, any_name: bool = False
    ) -> Accepted:
        """Choose the format and version of a ``name`` response.

        Args:
            accept: the request's ``Accept`` header.
            name: the media type name the resource answers with.
            any_name: accept any of our vendor types for their format and
                version (a request that may answer with a task).

        Raises:
            MediaTypeError: ``406-NOT-ACCEPTABLE``; nothing acceptable.
        """
        return _negotiate(self, accept, name, any_name)

    def vendor_name(self, mime: str) -> tuple[str, str | None] | None:
        """Split ``application/vnd.abiq.task+xml`` into ('task', 'xml')."""
        if not mime.startswith(self._prefix):
            return None
        rest = mime[len(self._prefix) :]
        name, plus, fmt = rest.partition('+')
        if plus and fmt not in FORMATS:
            return None
        return name, (fmt if plus else None)

    def version_of(self, media: MediaRange) -> int | None:
        """Return the supported version a range asks for (latest if none)."""
        raw = media.param('version')
        if raw is None:
            return self.latest
        return int(raw) if raw.isdigit() and int(raw) in self.versions else None

    def error_format(self, accept: str | None) -> Accepted:
        """Choose format and version of an error document (section 6)."""
        best: MediaRange | None = None
        for media in parse_accept(accept):
            if media.format and media.q > 0 and (best is None or media.q > best.q):
                best = media
            elif best is not None and media.format == 'json' and media.q == best.q:
                best = media
        if best is None:
            return Accepted('errors', 'json', self.latest)
        version = self.version_of(best) or self.latest
        return Accepted('errors', best.format or 'json', version)

    def content_type(self, header: str | None, names: tuple[str, ...]) -> Accepted:
        """Check a request ``Content-Type`` against the types a target reads.

        Raises:
            MediaTypeError: ``415-UNSUPPORTED-MEDIA-TYPE`` or
                ``415-UNSUPPORTED-MEDIA-TYPE-VERSION``.
        """
        media = parse_media_type(header) if header else None
        accepted = media and self._body_type(media, names)
        if accepted:
            return accepted
        offered = ', '.join(
            f'application/vnd.{self.vendor}.{name}+{fmt}'
            for name in names
            for fmt in FORMATS
        )
        raise MediaTypeError(
            '415-UNSUPPORTED-MEDIA-TYPE',
            f'Content-Type {header or "(none)"!s} is not supported here; '
            f'send one of {offered}, application/json or application/xml',
        )

    def _body_type(self, media: MediaRange, names: tuple[str, ...]) -> Accepted | None:
        if media.mime in ('application/json', 'application/xml'):
            return Accepted(names[0], media.format or 'json', self.latest)
        split = self.vendor_name(media.mime)
        if split is None or split[0] not in names:
            return None
        version = self.version_of(media)
        if version is None:
            raise MediaTypeError(
                '415-UNSUPPORTED-MEDIA-TYPE-VERSION',
                f'Version {media.param("version")} of {media.mime} is not '
                f'supported; supported versions: {self._versions_text()}',
            )
        return Accepted(split[0], split[1] or 'json', version)

    def _versions_text(self) -> str:
        return ', '.join(str(version) for version in self.versions)


def _excluded(neg: Negotiator, ranges, name: str, any_name: bool) -> set:
    """Return the (format, version) pairs that a range with q=0 names.

    RFC 9110 12.5.1: such a representation is not acceptable, even when a
    wildcard with a higher q follows.
    """
    excluded = set()
    for media in ranges:
        found = _candidate(neg, media, name, any_name) if media.q <= 0 else None
        if found not in (None, 'version') and found[0] != _WILDCARD:
            excluded.add(found[1:])
    return excluded


def _other_format(found: tuple, excluded: set) -> tuple | None:
    """A wildcard's other format, when its first choice was excluded."""
    specificity, fmt, version = found
    other = 'xml' if fmt == 'json' else 'json'
    if specificity == _WILDCARD and (other, version) not in excluded:
        return specificity, other, version
    return None


def _candidate(neg: Negotiator, media: MediaRange, name: str, any_name: bool):
    """Return (specificity, format, version), 'version' or None for one range."""
    if media.mime in _PLAIN_TYPES:
        return _PLAIN, _PLAIN_TYPES[media.mime], neg.latest
    if media.mime in _SUFFIX_TYPES:
        return _SUFFIX, _SUFFIX_TYPES[media.mime], neg.latest
    if media.mime in _ANY_TYPES:
        return _WILDCARD, 'json', neg.latest
    split = neg.vendor_name(media.mime)
    if split is None or (split[0] != name and not any_name):
        return None
    version = neg.version_of(media)
    if version is None:
        return 'version'
    return _EXACT, split[1] or 'json', version


# NOTE: clients send a handful of distinct Accept headers; the answer for
# each (and each resource's media type name) is worked out once.
@lru_cache(maxsize=2048)
def _negotiate(neg: Negotiator, accept: str | None, name: str, any_name: bool):
    ranges = parse_accept(accept)
    excluded = _excluded(neg, ranges, name, any_name)
    best, best_key, bad_version = None, None, False
    for index, media in enumerate(ranges):
        if media.q <= 0:
            continue
        found = _candidate(neg, media, name, any_name)
        if found not in (None, 'version') and found[1:] in excluded:
            found = _other_format(found, excluded)
        if found == 'version':
            bad_version = True
        elif found is not None:
            key = (media.q, found[0], -index)
            if best_key is None or key > best_key:
                best, best_key = found, key
    if best is not None:
        return Accepted(name, best[1], best[2])
    if bad_version:
        raise MediaTypeError(
            '406-NOT-ACCEPTABLE',
            f'The requested version of {name} is not supported; '
            f'supported versions: {neg._versions_text()}',
        )
    raise MediaTypeError(
        '406-NOT-ACCEPTABLE',
        f'Cannot answer with any type in Accept: {accept}; this resource offers '
        f'application/vnd.{neg.vendor}.{name}+json and '
        f'application/vnd.{neg.vendor}.{name}+xml '
        f'(versions {neg._versions_text()})',
    )
