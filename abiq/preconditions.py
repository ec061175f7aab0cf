"""Validators and conditional requests (API.md section 10, RFC 9110 13).

Every representation gets an entity tag made of a digest of its body and
the variant it is (format and version): ``"3f0c...e1.json2"``. A GET with a
matching ``If-None-Match`` is answered 304.

A write (PUT, PATCH, DELETE, an action's POST) is checked against what a
GET of the resource it changes answers now, for the same caller and base
URL: ``If-Match`` holds when one of its tags is the current tag of the
variant that tag names (docs/decisions.rst), ``If-Unmodified-Since`` when
the resource has a modification time no later than the date. A failed
precondition is 412 ``412-PRECONDITION-FAILED``, before anything changes.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
from typing import TYPE_CHECKING
from typing import Any

import falcon

from abiq.compression import GZIP_SUFFIX
from abiq.compression import MIN_SIZE
from abiq.compression import add_vary
from abiq.errors import ApiError
from abiq.links import Urls
from abiq.mediatypes import VERSIONS
from abiq.mediatypes import Accepted

if TYPE_CHECKING:
    from typing import Protocol

    class Resource(Protocol):
        """What a precondition is checked against: a resource that answers
        what its GET answers now (:meth:`abiq.resources.base.Resource.current`)."""

        def current(
            self, req: falcon.Request, resp: falcon.Response, **ids: Any
        ) -> None: ...


__all__ = [
    'NOT_FINAL',
    'check',
    'describe',
    'entity_tag',
    'matches',
    'not_modified',
    'without_validators',
]

#: what every answer whose content can still change says to caches
NOT_FINAL = ('private', 'no-cache')
_DIGEST_HEX = 24
# NOTE: the variant is read from the tag itself; anything after it (a
# content coding's suffix, say) does not change which variant it names.
_TAG = re.compile(r'[0-9a-f]+\.(json|xml)([0-9]+)')


def entity_tag(body: bytes, accepted: Accepted) -> str:
    """Return the (unquoted) entity tag of one representation."""
    # NOTE: SHA-256 runs in the CPU's SHA extensions (OpenSSL): 25 us for a
    # 30 KB page where BLAKE2b takes 65; 96 bits of it are plenty.
    digest = hashlib.sha256(body).hexdigest()[:_DIGEST_HEX]
    return f'{digest}.{accepted.variant}{accepted.version}'


def describe(resp: falcon.Response, accepted: Accepted) -> None:
    """Set the validator and cache directives of a document just written.

    Error documents get no entity tag: they are no representation of the
    resource. A finished task makes its directives laxer afterwards.
    """
    if accepted.name != 'errors':
        resp.etag = entity_tag(resp.data, accepted)
    resp.cache_control = NOT_FINAL


def matches(tags: list[str] | None, etag: str | None, *, weak: bool) -> bool:
    """Tell whether a list of tags from a request holds ``etag``.

    Args:
        weak: compare weakly (``If-None-Match``); else strongly, so that a
            weak tag never matches (``If-Match``, RFC 9110 8.8.3.2).
    """
    if not tags or etag is None:
        return False
    etag = etag.removeprefix('W/').strip('"').removesuffix(GZIP_SUFFIX)
    return any(
        tag == '*'
        or (tag.removesuffix(GZIP_SUFFIX) == etag and (weak or not tag.is_weak))
        for tag in tags
    )


def not_modified(req: falcon.Request, resp: falcon.Response) -> bool:
    """Answer 304 when the request's ``If-None-Match`` holds the answer's tag.

    The 304 keeps every header of the 200 (``ETag``, ``Vary``,
    ``Cache-Control``, ``Expires``), without a body.
    """
    if not matches(req.if_none_match, resp.etag, weak=True):
        return False
    resp.status = falcon.HTTP_304
    if resp.data is not None and len(resp.data) > MIN_SIZE:
        # NOTE: the 200 would have varied on Accept-Encoding (it could be
        # compressed); its 304 says so too, or a cache mixes the two.
        add_vary(resp, 'Accept-Encoding')
    resp.data = None
    resp.delete_header('Content-Type')
    return True


def without_validators(req: falcon.Request, resp: falcon.Response) -> None:
    """Drop the validators of an answer to PUT (RFC 9110 9.3.4).

    NOTE: the answer is the resource once the body was merged into it,
    never the body as sent, so a validator would vouch for what the
    client did not send; the client reads the new tag with a GET.
    """
    if req.method == 'PUT':
        resp.delete_header('ETag')
        resp.delete_header('Last-Modified')


def check(resource: Resource, req: falcon.Request, **ids: Any) -> None:
    """Evaluate a write's preconditions (RFC 9110 13.2.2); 412 when one fails.

    Call it once the resource is known to exist for the caller and the
    caller may write it (404 and 403 come first), before anything changes.
    Without a precondition header this costs nothing.
    """
    if_match = req.get_header('If-Match')
    since = req.get_header('If-Unmodified-Since')
    if_none_match = req.if_none_match
    if if_match is None and since is None and not if_none_match:
        return
    answers: dict[tuple[str, int], falcon.Response] = {}

    def current(tag: str | None = None) -> falcon.Response:
        variant = _variant(tag) or (req.context.accepted.format, 2)
        if variant not in answers:
            answers[variant] = _render(resource, req, ids, variant)
        return answers[variant]

    if if_match is not None:
        # NOTE: present but holding no tag (``If-Match: ,``) matches nothing.
        tags = req.if_match or ()
        if not any(matches([tag], current(tag).etag, weak=False) for tag in tags):
            raise _failed('If-Match', 'does not name the current representation')
    elif since and _modified_since(current().headers.get('last-modified'), since):
        raise _failed('If-Unmodified-Since', 'is before the last change')
    if if_none_match and any(
        matches([tag], current(tag).etag, weak=True) for tag in if_none_match
    ):
        raise _failed('If-None-Match', 'names the current representation')


def _variant(tag: str | None) -> tuple[str, int] | None:
    """Return the format and version a tag names, if it names one."""
    found = _TAG.match(tag) if tag else None
    if found is None or int(found[2]) not in VERSIONS:
        return None
    return found[1], int(found[2])


def _render(
    resource: Resource, req: falcon.Request, ids: dict[str, Any], variant
) -> falcon.Response:
    """Answer the GET of ``resource`` in a variant into a scratch response."""
    fmt, version = variant
    # NOTE: a GET of the same URL by the same caller, without conditions.
    env = dict(req.env, REQUEST_METHOD='GET')
    env.pop('HTTP_IF_NONE_MATCH', None)
    get = falcon.Request(env, options=req.options)
    get.context = req.context
    saved = req.context.accepted, req.context.urls
    accepted = Accepted(saved[0].name, fmt, version)
    req.context.accepted = accepted
    req.context.urls = Urls(saved[1].base, saved[1].vendor, accepted)
    scratch = falcon.Response()
    try:
        resource.current(get, scratch, **ids)
    finally:
        req.context.accepted, req.context.urls = saved
    return scratch


def _modified_since(last_modified: str | None, since: str) -> bool:
    """Tell whether a resource changed after an HTTP date.

    NOTE: a resource with no modification time, or a date that is not one,
    makes the precondition ignored (RFC 9110 13.1.4).
    """
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if last_modified is None:
        return False
    if when.tzinfo is None:  # asctime and RFC 850 dates are GMT (RFC 9110 5.6.7)
        when = when.replace(tzinfo=dt.UTC)
    return email.utils.parsedate_to_datetime(last_modified) > when


def _failed(header: str, why: str) -> ApiError:
    return ApiError.one(
        412, '412-PRECONDITION-FAILED', f'The request is refused: {header} {why}'
    )
