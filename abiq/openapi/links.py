"""OpenAPI ``links`` on every 201, 202 and 303 answer (API.md section 10).

They say, for a tool that cannot read our hypermedia (a fuzzer's stateful
phase), which operation a client calls next and with what: a creation (201)
leads to the new entity and what can be done to it, accepted work (202) to
its task, a 303 to the result its ``Location`` names (and to the task its
body is).

A 201 and a 202 carry the new entity's or the task's ``id`` in their body
(``$response.body#/id``, a standard runtime expression). A 303's result is
named only by ``Location``; its id is taken from it with schemathesis'
``#regex:`` extension of a header expression, one link per kind of entity a
task can end on (those with tasks of their own). A tool that does not know
the extension cannot resolve those parameters and skips the link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

__all__ = ['Operations']

_ID = '$response.body#/id'
_FIELD = re.compile(r'\{(\w+)\}')
_METHOD_NAMES = {'get': 'self', 'put': 'edit', 'delete': 'delete', 'patch': 'patch'}
_VERBS = {'post': 'create', 'put': 'edit', 'delete': 'delete', 'patch': 'patch'}


@dataclass
class Operations:
    """What the document holds, by path: read once every route is in."""

    #: media type name -> the path of its item (one path field: its id)
    items: dict[str, str] = field(default_factory=dict)
    #: operationId of a creation -> the media type name it creates
    creates: dict[str, str] = field(default_factory=dict)

    def add(self, paths: dict[str, dict[str, Any]]) -> None:
        """Declare the links of every 201, 202 and 303 answer of ``paths``."""
        for item in paths.values():
            for method, operation in item.items():
                if method in ('parameters', 'head'):
                    continue
                for status, answer in operation['responses'].items():
                    links = self._links(paths, status, operation)
                    if links:
                        answer['links'] = links

    def _links(
        self, paths: dict[str, Any], status: str, operation: dict[str, Any]
    ) -> dict[str, Any]:
        if status == '201':
            path = self.items.get(self.creates.get(operation['operationId'], ''))
            return self._around(paths, path, '') if path else {}
        if status == '202':
            return self._around(paths, self.items['task'], 'task')
        if status != '303':
            return {}
        links = self._around(paths, self.items['task'], 'task')
        for name, path in sorted(self.items.items()):
            if f'{path}/tasks' in paths:
                links.update(self._result(paths, name, path))
        return links

    def _around(self, paths: dict[str, Any], path: str, prefix: str) -> dict[str, Any]:
        """Links to every operation on an item and on its sub-paths that
        need no other path field: ``self``, ``edit``, ``deploy``, ..."""
        (field_name,) = _FIELD.findall(path)
        links = {}
        for other, item in paths.items():
            if other != path and not other.startswith(f'{path}/'):
                continue
            if len(_FIELD.findall(other)) != 1:
                continue
            tail = other[len(path) + 1 :].replace('/', '_')
            for method, operation in item.items():
                if method in ('parameters', 'head'):
                    continue
                name = _name(method, tail, 'get' in item)
                if prefix:
                    name = prefix if name == 'self' else f'{prefix}_{name}'
                links[name] = {
                    'operationId': operation['operationId'],
                    'parameters': {field_name: _ID},
                    'description': f'{operation["summary"]} ({field_name}: the id '
                    'in the body)',
                }
        return links

    def _result(self, paths: dict[str, Any], name: str, path: str) -> dict[str, Any]:
        (field_name,) = _FIELD.findall(path)
        pattern = re.escape(path.split('{', 1)[0]) + r'([0-9]+)$'
        operation = paths[path]['get']
        return {
            f'result_{name}': {
                'operationId': operation['operationId'],
                'parameters': {
                    field_name: f'$response.header.Location#regex:{pattern}'
                },
                'description': f'The result, when it is a {name}: '
                f'{operation["summary"]}',
            }
        }


def _name(method: str, tail: str, readable: bool) -> str:
    """Name a link by its target: ``self``, ``edit``, ``deploy``,
    ``virtualmachines``, ``create_virtualmachines``."""
    if not tail:
        return _METHOD_NAMES[method]
    if method == 'get' or (method == 'post' and not readable):
        return tail
    return f'{_VERBS[method]}_{tail}'
