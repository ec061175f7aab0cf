"""The RFC 8288 ``Link`` header of a representation.

Bodies stay the source of truth; the header repeats a document's top-level
links (not those of embedded items) for generic clients, plus one
``rel="item"`` per member of a collection page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

__all__ = ['MAX_LINK_HEADER', 'link_header']

# NOTE: nginx refuses response headers over its 4 or 8 KiB proxy buffer by
# default; the field's name and separators come on top of the value.
MAX_LINK_HEADER = 8000
# NOTE: a quoted-string may hold printable ASCII; anything else goes in the
# RFC 8187 extended form (title*), which every RFC 8288 parser reads.
_PLAIN = re.compile(r'[ -~]*')
_ESCAPED = re.compile(r'([\\"])')


def link_header(doc: dict[str, Any]) -> str:
    """Return the ``Link`` header value of a document ('' when none).

    The item links of a collection are left out, all of them, when they
    would take the header past :data:`MAX_LINK_HEADER`; the document's own
    links never are.
    """
    header = ', '.join(_field(link) for link in doc.get('links') or ())
    members = doc.get('collection')
    if not members:
        return header
    items = [_item(member) for member in members if type(member) is dict]
    items = [item for item in items if item]
    if not items:
        return header
    extra = ', '.join(items)
    if len(header) + len(extra) + 2 > MAX_LINK_HEADER:
        return header
    return f'{header}, {extra}' if header else extra


def _field(link: dict[str, Any]) -> str:
    """Return one link-value: ``<href>; rel="..."; type="..."; title=...``."""
    text = f'<{link["href"]}>; rel="{link["rel"]}"'
    kind = link.get('type')
    if kind:
        text += f'; type="{kind}"'
    title = link.get('title')
    if title:
        text += '; ' + _title(title)
    return text


def _title(title: str) -> str:
    if _PLAIN.fullmatch(title):
        return 'title="' + _ESCAPED.sub(r'\\\1', title) + '"'
    return "title*=UTF-8''" + quote(title, safe='')


def _item(member: dict[str, Any]) -> str:
    """Return the ``rel="item"`` link-value of a member ('' without self)."""
    for link in member.get('links') or ():
        if link.get('rel') == 'self':
            kind = link.get('type')
            tail = f'; type="{kind}"' if kind else ''
            return f'<{link["href"]}>; rel="item"{tail}'
    return ''
