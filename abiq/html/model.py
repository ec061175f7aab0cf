"""What a page shows, read off the document (never off the database).

Every link of the document is shown: the affordances (actions, the create,
edit and diagnostics links) as forms and buttons, paging and task views as
their own navigation, the rest as anchors labelled by their rel. A link the
document lacks is a button the page lacks, so a page offers this caller
exactly what the JSON offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

from abiq.links import query_string

__all__ = [
    'ACTION_LABELS',
    'COLUMNS',
    'Column',
    'Page',
    'columns_of',
    'own_href',
    'page_url',
    'search_state',
    'title_of',
]

#: the action links, shown as buttons, in this order
ACTION_LABELS = {
    'deploy': 'Deploy',
    'undeploy': 'Undeploy',
    'poweron': 'Power on',
    'poweroff': 'Power off',
    'reset': 'Reset',
    'cancel': 'Cancel',
    'retry': 'Retry',
}
FORM_RELS = frozenset({'create', 'edit', 'diagnostics'})
PAGING_RELS = ('first', 'previous', 'next', 'last')
VIEW_RELS = ('pending', 'running', 'finished', 'failed', 'cancelled')
#: the fields of an item that a collection's table shows, per media type
COLUMNS: dict[str, tuple[str, ...]] = {
    'task': ('type', 'status', 'progress', 'description', 'createdAt'),
    'virtualmachine': ('name', 'state', 'cpu', 'ram', 'ip'),
    'virtualappliance': ('name', 'state'),
    'template': ('name', 'os', 'cpu', 'ram', 'disk'),
    'user': ('name', 'role', 'email'),
    'enterprise': ('name',),
    'token': ('name', 'createdAt', 'lastUsedAt', 'expiresAt'),
}


@dataclass(frozen=True)
class Column:
    """A table column: its field, and its sort link when sortable."""

    name: str
    sort_href: str | None = None
    sort: str | None = None  # 'ascending' / 'descending' when sorted by it


def own_href(doc: dict[str, Any]) -> str | None:
    """Return the href of a document's ``self`` link, if it has one."""
    for link in doc.get('links', ()):
        if link['rel'] == 'self':
            return link['href']
    return None


def title_of(doc: dict[str, Any], name: str) -> str:
    """Return a page's heading: the entity's title, or what it is."""
    for link in doc.get('links', ()):
        if link['rel'] == 'self' and link.get('title'):
            return link['title']
    if name == 'api':
        return f'{doc.get("name", "abiq")} API'
    if name == 'task':
        return f'Task {doc.get("type", "")} {doc.get("id", "")}'.strip()
    if 'name' in doc and isinstance(doc['name'], str):
        return doc['name']
    return {'api': 'API root', 'errors': 'Error'}.get(name, name)


class Page:
    """The links of a document, sorted into what a page does with them."""

    def __init__(self, doc: dict[str, Any]) -> None:
        links = doc.get('links', [])
        self.by_rel: dict[str, dict[str, str]] = {}
        for link in links:
            self.by_rel.setdefault(link['rel'], link)
        self.actions = [
            (rel, ACTION_LABELS[rel], self.by_rel[rel])
            for rel in ACTION_LABELS
            if rel in self.by_rel
        ]
        self.paging = [self.by_rel[rel] for rel in PAGING_RELS if rel in self.by_rel]
        self.views = [self.by_rel[rel] for rel in VIEW_RELS if rel in self.by_rel]
        shown_apart = {*ACTION_LABELS, *FORM_RELS, *PAGING_RELS, *VIEW_RELS}
        self.navigation = [link for link in links if link['rel'] not in shown_apart]

    def href(self, rel: str) -> str | None:
        """Return the href of the first link with a rel."""
        link = self.by_rel.get(rel)
        return link['href'] if link else None

    def link_name(self, rel: str) -> str | None:
        """Return the media type name a link's ``type`` names."""
        link = self.by_rel.get(rel)
        kind = link.get('type', '') if link else ''
        if not kind.startswith('application/vnd.'):
            return None
        return kind.split('.', 2)[2].split('+')[0]


def page_url(self_href: str | None) -> tuple[SplitResult, list[tuple[str, str]]]:
    """Return a page's own URL split, and its query's pairs: read once for
    its sort links and its search form."""
    parts = urlsplit(self_href or '')
    return parts, parse_qsl(parts.query)


def columns_of(
    item: str,
    url: tuple[SplitResult, list[tuple[str, str]]],
    sort_fields: tuple[str, ...],
) -> list[Column]:
    """Return a collection's columns, the sortable ones with their links
    (``url``: the page's own, from :func:`page_url`).

    A sort link is the current page's own URL with ``by`` and ``asc`` set
    (and back to the first page), so filters and the search are kept.
    """
    parts, pairs = url
    query = dict(pairs)
    current = query.get('by')
    ascending = query.get('asc', 'true') != 'false'
    # NOTE: a sort link sets by and asc, and goes back to the first page
    kept = [(key, value) for key, value in pairs if key not in _SORT_RESETS]
    columns = []
    for name in COLUMNS.get(item, ()):
        if name not in sort_fields:
            columns.append(Column(name))
            continue
        sorted_by = current == name
        asc = 'false' if sorted_by and ascending else 'true'
        sort = ('ascending' if ascending else 'descending') if sorted_by else None
        encoded = query_string([*kept, ('by', name), ('asc', asc)])
        columns.append(Column(name, parts._replace(query=encoded).geturl(), sort))
    return columns


_SORT_RESETS = frozenset({'by', 'asc', 'startwith'})


def search_state(
    url: tuple[SplitResult, list[tuple[str, str]]],
) -> tuple[str, str, list[tuple[str, str]]]:
    """Return a search form's action, current ``has`` and the hidden
    parameters it keeps (filters, sort, page size), of the page's own URL
    (from :func:`page_url`)."""
    parts, query = url
    has = next((value for key, value in query if key == 'has'), '')
    kept = [(key, value) for key, value in query if key not in ('has', 'startwith')]
    return parts._replace(query='').geturl(), has, kept
