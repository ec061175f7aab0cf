"""Collections and paging: query parameters, pages and their links (API.md §5).

One piece serves every collection: a resource declares its sort fields and
text fields in a :class:`CollectionSpec`, reads :class:`PageParams` from the
query string, runs its query, and renders :func:`page_links` next to the items.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import peewee

from abiq.db.listing import Listing
from abiq.errors import bad_request
from abiq.errors import quoted
from abiq.limits import MAX_HAS

__all__ = ['CollectionSpec', 'Page', 'PageParams', 'page_links']

DEFAULT_LIMIT = 25


@dataclass(frozen=True)
class CollectionSpec:
    """What a collection can be sorted by and searched in.

    Args:
        sort_fields: ``by`` value -> model field.
        default_sort: the ``by`` used when none is given.
        text_fields: fields the ``has`` parameter searches.
        tie_breaker: the unique field that makes the order stable.
    """

    sort_fields: dict[str, peewee.Field]
    default_sort: str
    text_fields: tuple[peewee.Field, ...]
    tie_breaker: peewee.Field


@dataclass(frozen=True)
class PageParams:
    """The paging, search and sort parameters of one request."""

    startwith: int
    limit: int
    has: str | None
    by: str
    asc: bool
    query: tuple[tuple[str, str], ...]

    @classmethod
    def parse(
        cls, query_string: str, spec: CollectionSpec, max_page: int
    ) -> PageParams:
        """Read the parameters from a raw query string.

        Raises:
            ApiError: 400 ``QUERY-0`` .. ``QUERY-3``, ``QUERY-5`` for a bad
                value.
        """
        query = tuple(parse_qsl(query_string, keep_blank_values=True))
        values = dict(query)
        startwith = _integer(values.get('startwith', '0'), 'QUERY-1', 'startwith')
        if startwith < 0:
            raise bad_request('QUERY-1', 'startwith must be 0 or greater')
        limit = _integer(values.get('limit', str(DEFAULT_LIMIT)), 'QUERY-2', 'limit')
        if limit < 0 or limit > max_page:
            raise bad_request(
                'QUERY-2',
                f'limit must be between 1 and {max_page} (0 means {max_page})',
            )
        by = values.get('by', spec.default_sort)
        if by not in spec.sort_fields:
            allowed = ', '.join(sorted(spec.sort_fields))
            raise bad_request(
                'QUERY-0', f'Invalid by parameter {quoted(by)!r}; use one of {allowed}'
            )
        asc = values.get('asc', 'true').lower()
        if asc not in ('true', 'false'):
            raise bad_request('QUERY-3', 'asc must be true or false')
        return cls(
            startwith,
            limit or max_page,
            _search(values.get('has')),
            by,
            asc == 'true',
            query,
        )

    def apply(self, listing: Listing, spec: CollectionSpec) -> Listing:
        """Return the listing narrowed by ``has`` (not sorted, not sliced)."""
        if self.has and spec.text_fields:
            return listing.searching(spec.text_fields, self.has)
        return listing

    def window(self, listing: Listing, spec: CollectionSpec, total: int) -> list[Any]:
        """Return this page's items of a filtered listing with ``total`` rows.

        The order is total (ties broken by the tie breaker), so a page in the
        back half can be read from the other end with the order reversed:
        the last page costs what the first does, and the deepest page is
        the middle one.
        """
        start = self.startwith
        end = min(start + self.limit, total)
        if end <= start:
            return []
        backwards = total - end < start
        order = (spec.sort_fields[self.by], spec.tie_breaker)
        skip = total - end if backwards else start
        items = listing.window(order, self.asc != backwards, skip, end - start)
        return items[::-1] if backwards else items


def _search(has: str | None) -> str | None:
    # NOTE: a search is a LIKE over the rows; SQLite fails one whose pattern
    # passes 50,000 bytes. API.md caps it well below that.
    if has and len(has) > MAX_HAS:
        raise bad_request(
            'QUERY-5', f'has must be at most {MAX_HAS} characters, not {len(has)}'
        )
    return has or None


def _integer(raw: str, code: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError as ex:
        message = f'{name} must be a whole number, not {quoted(raw)!r}'
        raise bad_request(code, message) from ex


@dataclass(frozen=True)
class Page:
    """One page of a collection: its items and the collection's size."""

    items: Sequence[Any]
    total: int
    params: PageParams

    @classmethod
    def fetch(
        cls,
        select: peewee.ModelSelect | Listing,
        params: PageParams,
        spec: CollectionSpec,
        count: Callable[[], int] | None = None,
    ) -> Page:
        """Run the count and the page query.

        Args:
            select: the collection's query: a :class:`Listing` (compiled
                once per shape) or a select built for this request.
            count: returns the number of rows the filtered query matches,
                faster than counting them (used only without ``has``).
        """
        listing = select if isinstance(select, Listing) else Listing.of(select)
        filtered = params.apply(listing, spec)
        total = count() if count is not None and not params.has else filtered.count()
        return cls(params.window(filtered, spec, total), total, params)


def page_links(
    page: Page, url_for: Callable[[list[tuple[str, Any]]], str]
) -> list[dict]:
    """Return ``self``, ``first``, ``previous``, ``next`` and ``last`` links.

    Args:
        page: the page.
        url_for: builds the collection URL for a query (list of pairs).

    Every link keeps the request's other query parameters.
    """
    params = page.params
    limit, start, total = params.limit, params.startwith, page.total
    kept = [
        (key, value) for key, value in params.query if key not in ('startwith', 'limit')
    ]

    def href(startwith: int) -> str:
        return url_for(kept + [('startwith', startwith), ('limit', limit)])

    links = [{'rel': 'self', 'href': href(start)}, {'rel': 'first', 'href': href(0)}]
    if start > 0:
        links.append({'rel': 'previous', 'href': href(max(0, start - limit))})
    if start + limit < total:
        links.append({'rel': 'next', 'href': href(start + limit)})
    last = ((total - 1) // limit) * limit if total else 0
    links.append({'rel': 'last', 'href': href(last)})
    return links
