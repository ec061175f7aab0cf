"""Which errors, which answers and which words an operation gets.

Each rule reads the declarations of a resource
(:class:`abiq.resources.base.Resource`), never a list kept by hand.
"""

from __future__ import annotations

import http
import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from abiq.resources.base import Resource

__all__ = ['NO_BODY', 'answer_names', 'description', 'error_statuses']

#: the success statuses that carry no body
NO_BODY = frozenset({204, 304})
_SAFE = frozenset({'GET', 'HEAD', 'OPTIONS'})


def error_statuses(
    method: str, declared: str, resource: Resource, has_fields: bool
) -> set[int]:
    """The errors an operation can answer, by the rule that raises each
    (docs/errors.rst, "Which check answers first")."""
    statuses = {400}  # U+0000 in the path, the query or a header
    if getattr(resource, 'uses_database', True):
        statuses.add(503)
    if resource.answers.get(declared):
        statuses.add(406)
    if resource.auth:
        statuses |= {401, 429}  # credentials; a throttled user name
    if has_fields:
        statuses.add(404)
    if declared in resource.reads:
        statuses |= {413, 415}
    if method not in _SAFE and resource.auth:
        statuses |= {403, 409}  # roles and states
    if method == 'POST' and resource.auth:
        statuses |= {409, 413, 422}  # Idempotency-Key
    if declared in resource.conditional:
        statuses.add(412)  # If-Match, If-Unmodified-Since
    return statuses


def answer_names(status: int, declared: str, resource: Resource) -> list[str]:
    """The media type names a success status can carry."""
    name = resource.answers.get(declared)
    if status in NO_BODY or name is None:
        return []
    # NOTE: work accepted (202) and a task whose result is elsewhere (303)
    # are always answered with the task.
    if status in (202, 303):
        return ['task']
    if declared in resource.any_name and name != 'task':
        return [name, 'task']
    return [name]


def description(responder: Any, method: str, statuses: Iterable[int]) -> str:
    """Describe an operation: its responder's docstring, what HEAD is, and
    the statuses it succeeds with."""
    text = (inspect.getdoc(responder) or '').split('\n\nArgs:', 1)[0]
    parts = [' '.join(text.split())]
    if method == 'HEAD':
        parts.append('HEAD answers what GET would, headers only, without a body.')
    answers = ', '.join(f'{s} {http.HTTPStatus(s).phrase}' for s in statuses)
    parts.append(f'Succeeds with {answers}; the errors are listed below.')
    return ' '.join(part for part in parts if part)
