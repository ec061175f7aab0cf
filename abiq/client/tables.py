"""Plain-text tables of collections and resources, for people at a terminal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from abiq.client.resources import Collection
from abiq.client.resources import Resource

__all__ = ['render']

# NOTE: the columns worth a glance per item type; anything else shows every
# scalar field.
_COLUMNS = {
    'task': ('id', 'type', 'status', 'progress', 'description'),
    'virtualappliance': ('id', 'name', 'state'),
    'virtualmachine': ('id', 'name', 'state', 'cpu', 'ram', 'ip'),
    'template': ('id', 'name', 'os', 'cpu', 'ram', 'disk'),
    'enterprise': ('id', 'name'),
    'user': ('id', 'name', 'role', 'email'),
    'token': ('id', 'name', 'createdAt', 'lastUsedAt', 'expiresAt'),
}


def render(name: str, shown: Resource | Iterable[Resource]) -> str:
    """Return a collection (every page), a list of items, or one resource as
    text."""
    if isinstance(shown, Collection):
        items = list(shown)
        return _table(items) + f'({len(items)} of {shown.total})\n'
    if isinstance(shown, Resource):
        return _card(shown)
    items = list(shown)
    return _table(items) + f'({len(items)})\n'


def _table(items: list[Resource]) -> str:
    if not items:
        return ''
    name = items[0].media.name if items[0].media else ''
    columns = _COLUMNS.get(name) or tuple(
        key for key, value in items[0].data.items() if _scalar(value)
    )
    rows = [[_cell(item.get(column)) for column in columns] for item in items]
    widths = [
        max(len(column), *(len(row[index]) for row in rows))
        for index, column in enumerate(columns)
    ]
    lines = [_line(columns, widths), _line(['-' * w for w in widths], widths)]
    lines += [_line(row, widths) for row in rows]
    return '\n'.join(lines) + '\n'


def _card(resource: Resource) -> str:
    fields = [(key, value) for key, value in resource.data.items()]
    width = max((len(key) for key, _ in fields), default=0)
    lines = [f'{key:<{width}}  {_cell(value)}' for key, value in fields]
    jobs = resource.get('jobs')
    if isinstance(jobs, list) and jobs:
        lines.append('')
        lines += [
            f'  job {job["id"]}: {job["type"]:<12} {job["status"]}' for job in jobs
        ]
    if resource.links:
        lines.append('')
        lines += [f'  {link.rel:<18} {link.href}' for link in resource.links]
    return '\n'.join(lines) + '\n'


def _line(cells: Iterable[str], widths: list[int]) -> str:
    return '  '.join(
        f'{cell:<{width}}' for cell, width in zip(cells, widths, strict=True)
    ).rstrip()


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _cell(value: Any) -> str:
    if value is None or value == [] or value == '':
        return '-'
    if isinstance(value, list):
        return (
            ', '.join(_cell(item) for item in value)
            if all(_scalar(item) for item in value)
            else f'[{len(value)}]'
        )
    if isinstance(value, dict):
        return '{...}'
    return str(value)
