"""Vendor media types: ``Accept`` negotiation and ``Content-Type`` checks.

Every representation is ``application/vnd.{vendor}.{name}+{format}; version={N}``.
The rules are the table of API.md section 2; the version a response is written
in always comes from the accepted type (as DRF's AcceptHeaderVersioning does).
"""

from __future__ import annotations

from abiq.caches import BoundedCache
from abiq.errors import quoted
from abiq.mediatypes import FORMATS
from abiq.mediatypes import PLAIN_TYPES
from abiq.mediatypes import Accepted
from abiq.mediatypes import MediaRange
from abiq.mediatypes import MediaTypeError
from abiq.mediatypes import page_q
from abiq.mediatypes import parse_accept
from abiq.mediatypes import parse_media_type

__all__ = [
    'FORMATS',
    'MAX_ACCEPT',
    'Accepted',
    'MediaRange',
    'MediaTypeError',
    'Negotiator',
    'parse_accept',
    'parse_media_type',
]

# Specificity of a matching range; a higher value wins a tie on q. A task
# type asked of another resource stands in for that resource's own type, a
# step below naming it (API.md section 2).
_EXACT, _FOR_TASK, _PLAIN, _SUFFIX, _WILDCARD = 4, 3, 2, 1, 0
# NOTE: the only vendor name that stands in for any resource's type: a client
# that follows a task's 303 by itself keeps the Accept it polled the task with.
_FOLLOWED = 'task'
_SUFFIX_TYPES = {'application/*+json': 'json', 'application/*+xml': 'xml'}
_ANY_TYPES = ('*/*', 'application/*')

# APPSEC: an Accept header longer than this is refused (431) unparsed: real
# clients send a few hundred characters, and parsing 200 KB on every request
# is work a client would choose for us.
MAX_ACCEPT = 8192
# NOTE: only the answers to headers this short are remembered; a longer one is
# negotiated each time, so no cache holds more than this of one header.
_CACHED_ACCEPT = 256
# NOTE: what one remembered answer holds besides its header (and an error's
# message): the key tuple, its slot and the Accepted or the error (measured).
_ANSWER_BYTES = 600


class Negotiator:
    """Negotiation rules for one vendor and its supported versions.

    Args:
        vendor: the vendor part of the media types (``abiq``).
        versions: the supported versions, oldest first.
        entries: how many answers to short ``Accept`` headers are kept.
        max_bytes: how many bytes those answers may hold in all.
    """

    def __init__(
        self,
        vendor: str,
        versions: tuple[int, ...],
        entries: int = 2048,
        max_bytes: int = 2 * 1024 * 1024,
    ) -> None:
        self.vendor = vendor
        self.versions = versions
        self.latest = max(versions)
        self._prefix = f'application/vnd.{vendor}.'
        self.answers: BoundedCache[Accepted | MediaTypeError] = BoundedCache(
            entries, max_bytes
        )

    def negotiate(
        self, accept: str | None, name: str, *, any_name: bool = False
    ) -> Accepted:
        """Choose the format and version of a ``name`` response.

        Args:
            accept: the request's ``Accept`` header.
            name: the media type name the resource answers with.
            any_name: accept any of our vendor types for their format and
                version (a request that may answer with a task). The task
                type is accepted for the format and version it names on
                every resource (a client following a task's 303).

        Raises:
            MediaTypeError: ``406-NOT-ACCEPTABLE``, nothing acceptable;
                ``431-REQUEST-HEADER-FIELDS-TOO-LARGE``, over MAX_ACCEPT.
        """
        if accept is not None and len(accept) > MAX_ACCEPT:
            raise MediaTypeError(
                '431-REQUEST-HEADER-FIELDS-TOO-LARGE',
                f'The Accept header is longer than {MAX_ACCEPT} characters',
            )
        found = self._answer(accept, name, any_name)
        if isinstance(found, MediaTypeError):
            raise MediaTypeError(found.code, found.message)
        return found

    def _answer(
        self, accept: str | None, name: str, any_name: bool
    ) -> Accepted | MediaTypeError:
        """Negotiate, or remember the answer to a short header."""
        if accept is not None and len(accept) > _CACHED_ACCEPT:
            return _negotiate(self, accept, name, any_name)
        key = (accept, name, any_name)
        found = self.answers.get(key)
        if found is None:
            found = _negotiate(self, accept, name, any_name)
            message = found.message if isinstance(found, MediaTypeError) else ''
            size = _ANSWER_BYTES + len(accept or '') + len(name) + len(message)
            self.answers.put(key, found, size)
        return found

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
        too_long = accept is not None and len(accept) > MAX_ACCEPT
        ranges = () if too_long else parse_accept(accept)
        page = page_q(ranges)
        for media in ranges:
            if media.format and media.q > 0 and (best is None or media.q > best.q):
                best = media
            elif best is not None and media.format == 'json' and media.q == best.q:
                best = media
        if page > _ours_q(self, ranges):
            # NOTE: a browser's error is a page too (the 401 that asks it
            # to prompt for a password, a 404 it followed a link to).
            return Accepted('errors', 'json', self.latest, 'html')
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
            f'Content-Type {quoted(header or "(none)")} is not supported here; '
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
                f'Version {quoted(media.param("version"))} of {media.mime} is not '
                f'supported; supported versions: {self._versions_text()}',
            )
        return Accepted(split[0], split[1] or 'json', version)

    def _versions_text(self) -> str:
        return ', '.join(str(version) for version in self.versions)


# Matches whose q=0 excludes nothing of this resource's own type.
_LOOSE = (_WILDCARD, _FOR_TASK)


def _excluded(neg: Negotiator, ranges, name: str, any_name: bool) -> set:
    """Return the (format, version) pairs that a range with q=0 names.

    RFC 9110 12.5.1: such a representation is not acceptable, even when a
    wildcard with a higher q follows. A task type refused on another
    resource refuses tasks, not that resource's own type.
    """
    excluded = set()
    for media in ranges:
        found = _candidate(neg, media, name, any_name) if media.q <= 0 else None
        if found not in (None, 'version') and found[0] not in _LOOSE:
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
    if media.mime in PLAIN_TYPES:
        return _PLAIN, PLAIN_TYPES[media.mime], neg.latest
    if media.mime in _SUFFIX_TYPES:
        return _SUFFIX, _SUFFIX_TYPES[media.mime], neg.latest
    if media.mime in _ANY_TYPES:
        return _WILDCARD, 'json', neg.latest
    split = neg.vendor_name(media.mime)
    if split is None:
        return None
    if split[0] == name or any_name:
        specificity = _EXACT
    elif split[0] == _FOLLOWED:
        specificity = _FOR_TASK
    else:
        return None
    version = neg.version_of(media)
    if version is None:
        return 'version'
    return specificity, split[1] or 'json', version


def _ours_q(neg: Negotiator, ranges: tuple[MediaRange, ...]) -> float:
    """Return the highest q a header gives any of our types (wildcards
    included): a page's rival, so that errors are pages when answers are."""
    ours = [
        media.q
        for media in ranges
        if media.format or media.mime in _ANY_TYPES or neg.vendor_name(media.mime)
    ]
    return max(ours, default=0)


def _negotiate(
    neg: Negotiator, accept: str | None, name: str, any_name: bool
) -> Accepted | MediaTypeError:
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
    page = page_q(ranges)
    if page > (best_key[0] if best_key else 0):
        return Accepted(name, 'json', neg.latest, 'html')
    if best is not None:
        return Accepted(name, best[1], best[2])
    if bad_version:
        return MediaTypeError(
            '406-NOT-ACCEPTABLE',
            f'The requested version of {name} is not supported; '
            f'supported versions: {neg._versions_text()}',
        )
    return MediaTypeError(
        '406-NOT-ACCEPTABLE',
        f'Cannot answer with any type in Accept: {quoted(accept)}; '
        'this resource offers '
        f'application/vnd.{neg.vendor}.{name}+json and '
        f'application/vnd.{neg.vendor}.{name}+xml '
        f'(versions {neg._versions_text()})',
    )
