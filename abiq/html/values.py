"""Values and links as HTML, written in Python rather than as template
macros: a table of 25 rows calls them hundreds of times, and a macro call
costs several times a function call. Everything is escaped
(:func:`markupsafe.escape`): a value is always text."""

from __future__ import annotations

from functools import partial
from typing import Any

from markupsafe import Markup
from markupsafe import escape

from abiq.caches import BoundedCache
from abiq.html.model import own_href
from abiq.html.model import title_of
from abiq.kept import KeptDocument
from abiq.kept import written

__all__ = ['anchor', 'shown']

_NULL = Markup('<span class="null">null</span>')
_NONE = Markup('<span class="null">none</span>')


def shown(value: Any) -> Markup:
    """Return a field's value as HTML: scalars as text, lists and objects
    as lists and tables."""
    if value is None:
        return _NULL
    if value is True or value is False:
        return Markup('true' if value else 'false')
    if isinstance(value, dict):
        items = ''.join(
            f'<dt>{escape(k)}</dt><dd>{shown(v)}</dd>' for k, v in value.items()
        )
        return Markup(f'<dl class="nested">{items}</dl>')
    if isinstance(value, list):
        return _listed(value)
    return escape(value)


def _listed(values: list[Any]) -> Markup:
    if not values:
        return _NONE
    if isinstance(values[0], dict):
        keys = list(values[0])
        head = ''.join(f'<th scope="col">{escape(k)}</th>' for k in keys)
        rows = ''.join(
            '<tr>' + ''.join(f'<td>{shown(row.get(k))}</td>' for k in keys) + '</tr>'
            for row in values
        )
        return Markup(
            f'<table class="nested"><thead><tr>{head}</tr></thead>'
            f'<tbody>{rows}</tbody></table>'
        )
    items = ''.join(f'<li>{shown(item)}</li>' for item in values)
    return Markup(f'<ul class="values">{items}</ul>')


# NOTE: a page shows a dozen links, most of them (filters, navigation) the
# same on every page of its collection.
_ANCHORS: BoundedCache[Markup] = BoundedCache(1024, 1 << 20)


def anchor(link: dict[str, str]) -> Markup:
    """Return a link as an anchor labelled by its rel (and its title)."""
    key = (link['href'], link['rel'], link.get('type'), link.get('title'))
    found = _ANCHORS.get(key)
    if found is None:
        found = _anchor(link)
        _ANCHORS.put(key, found, 2 * len(found) + 128)
    return found


def _anchor(link: dict[str, str]) -> Markup:
    kind = f' type="{escape(link["type"])}"' if 'type' in link else ''
    html = (
        f'<a href="{escape(link["href"])}" data-rel="{escape(link["rel"])}"{kind}>'
        f'{escape(link["rel"])}</a>'
    )
    if 'title' in link:
        html += f' <span class="link-title">{escape(link["title"])}</span>'
    return Markup(html)


def table_rows(rows: list[tuple[str, dict[str, Any]]], columns: list[Any]) -> Markup:
    """Return a collection's rows (each its item's kind and document): each
    item's link, then its columns."""
    names = tuple(column.name for column in columns)
    html = []
    for item, entry in rows:
        if entry.__class__ is KeptDocument:
            # NOTE: a finished task's row is the same every time it is shown
            key = ('html row', item, names)
            html.append(written(entry, key, partial(_row, item, entry, names)))
        else:
            html.append(_row(item, entry, names))
    return Markup(''.join(html))


def _row(item: str, entry: dict[str, Any], names: tuple) -> str:
    href = own_href(entry)
    first = escape(title_of(entry, item))
    if href:
        first = Markup(f'<a href="{escape(href)}" data-rel="item">{first}</a>')
    cells = ''.join(
        f'<td data-column="{name}">{shown(entry.get(name))}</td>' for name in names
    )
    return f'<tr><td>{first}</td>{cells}</tr>'
