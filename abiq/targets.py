"""The kinds of entity a task can act on, and reading them from link hrefs.

Request bodies name other entities by link (``{"rel": "target", "href": ...}``),
never by id; :func:`resolve` turns such an href back into a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from abiq.converters import parse_id
from abiq.db.domain import Template
from abiq.db.domain import VirtualAppliance
from abiq.db.domain import VirtualMachine
from abiq.db.models import Enterprise
from abiq.db.models import User
from abiq.errors import bad_request
from abiq.errors import quoted

if TYPE_CHECKING:
    from abiq.links import Urls

__all__ = ['KINDS', 'TargetKind', 'href_of', 'one_href', 'resolve']


@dataclass(frozen=True)
class TargetKind:
    """An entity kind: its URL segment, model and owning enterprise."""

    kind: str
    segment: str
    model: Any
    enterprise_of: Callable[[Any], int]
    title_of: Callable[[Any], str]


KINDS: dict[str, TargetKind] = {
    kind.kind: kind
    for kind in (
        TargetKind(
            'enterprise',
            'enterprises',
            Enterprise,
            lambda row: row.id,
            lambda row: row.name,
        ),
        TargetKind(
            'user', 'users', User, lambda row: row.enterprise_id, lambda row: row.name
        ),
        TargetKind(
            'virtualappliance',
            'virtualappliances',
            VirtualAppliance,
            lambda row: row.enterprise_id,
            lambda row: row.name,
        ),
        TargetKind(
            'virtualmachine',
            'virtualmachines',
            VirtualMachine,
            lambda row: row.virtualappliance.enterprise_id,
            lambda row: row.name,
        ),
        TargetKind(
            'template', 'templates', Template, lambda row: None, lambda row: row.name
        ),
    )
}
_BY_SEGMENT = {kind.segment: kind for kind in KINDS.values()}


def href_of(urls: Urls, kind: str, entity_id: Any) -> str:
    """Return the URL of an entity of a kind."""
    return urls.url(KINDS[kind].segment, entity_id)


def one_href(doc: dict[str, Any], rel: str) -> str | None:
    """Return the href of a body's link with a rel, or None without one.

    Raises:
        ApiError: 400 when the body links more than one href with the rel.
    """
    # NOTE: each href resolved is a query; a body repeating one costs one.
    hrefs = {link['href'] for link in doc.get('links', ()) if link['rel'] == rel}
    if len(hrefs) > 1:
        raise bad_request(
            '400-BAD-REQUEST', f'/links: a body has at most one link with rel {rel!r}'
        )
    return next(iter(hrefs), None)


def resolve(urls: Urls, href: str, rel: str) -> tuple[TargetKind, Any]:
    """Return the kind and row an href of this API points at.

    Raises:
        ApiError: 400 when the href is not an entity of this API.
    """
    prefix = urls.base + '/'
    path = href[len(prefix) :] if href.startswith(prefix) else ''
    parts = path.split('?')[0].strip('/').split('/')
    kind = _BY_SEGMENT.get(parts[0]) if len(parts) == 2 else None
    entity_id = parse_id(parts[1]) if kind is not None else None
    row = None
    if entity_id is not None:
        row = kind.model.get_or_none(kind.model.id == entity_id)
    if row is None:
        raise bad_request(
            '400-BAD-REQUEST',
            f'The {rel} link {quoted(href)!r} does not point at an entity of this API',
        )
    return kind, row
