"""Values and links as HTML, written in Python rather than as template
macros: a table of 25 rows calls them hundreds of times, and a macro call
costs several times a function call. Everything is escaped
(:func:`markupsafe.escape`): a value is always text."""

from __future__ import annotations

from functools import partial
from typing import Any

from markupsafe import Markup
from markupsafe import escape

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


def anchor(link: dict[str, str]) -> Markup:
    """Return a link as an anchor labelled by its rel (and its title)."""
    kind = f' type="{escape(link["type"])}"' if 'type' in link else ''
    html = (
        f'<a href="{escape(link["href"])}" data-rel="{escape(link["rel"])}"{kind}>'
        f'{escape(link["rel"])}</a>'
    )
    if 'title' in link:
        html += f' <span class="link-title">{escape(link["title"])}</span>'
    return Markup(html)


def table_rows(
    rows: list[tuple[str | None, str, dict[str, Any]]], columns: list[Any]
) -> Markup:
    """Return a collection's rows: each item's link, then its columns."""
    names = tuple(column.name for column in columns)
    html = []
    for href, label, entry in rows:
        if entry.__class__ is KeptDocument:
            # NOTE: a finished task's row is the same every time it is shown
            key = ('html row', href, label, names)
            html.append(written(entry, key, partial(_row, href, label, entry, names)))
        else:
            html.append(_row(href, label, entry, names))
    return Markup(''.join(html))


def _row(href: str | None, label: str, entry: dict[str, Any], names: tuple) -> str:
    first = escape(label)
    if href:
        first = Markup(f'<a href="{escape(href)}" data-rel="item">{first}</a>')
    cells = ''.join(
        f'<td data-column="{name}">{shown(entry.get(name))}</td>' for name in names
    )
    return f'<tr><td>{first}</td>{cells}</tr>'
