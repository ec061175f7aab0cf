"""The sizes abiq accepts from a client (API.md sections 10 and 11).

Each is a fixed part of the contract, not a setting: a request beyond one is
a 4xx error collection that names the limit, checked before the work the
limit protects (a recursive walk, a query, a schema validation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from abiq.errors import ApiError
from abiq.errors import bad_request
from abiq.xmlmap import Array
from abiq.xmlmap import Element

__all__ = [
    'MAX_DEPTH',
    'MAX_HAS',
    'MAX_ID',
    'MAX_ID_DIGITS',
    'MAX_LINKS',
    'TOO_DEEP',
    'check_links',
    'plain_link_rule',
    'too_deep',
]

#: the largest SQLite INTEGER (and PostgreSQL bigint): the largest id
MAX_ID = 2**63 - 1
#: the digits of the largest id
MAX_ID_DIGITS = len(str(MAX_ID))
#: levels of nesting of a request body (its document element is level 1)
MAX_DEPTH = 64
#: links in one request body
MAX_LINKS = 1000
#: characters of the ``has`` query parameter
MAX_HAS = 256
#: the message of a body nested deeper than :data:`MAX_DEPTH`
TOO_DEEP = f'/: the body is nested deeper than {MAX_DEPTH} levels'

# What a link's values may be checked against without a schema validator.
_PLAIN_RULES = frozenset({'type', 'minLength', 'xml'})


def too_deep() -> ApiError:
    """Return the 400 of a body nested deeper than :data:`MAX_DEPTH`."""
    return bad_request('400-BAD-REQUEST', TOO_DEEP)


def check_links(count: int) -> None:
    """Refuse a body holding more than :data:`MAX_LINKS` links.

    Raises:
        ApiError: 400 ``400-BAD-REQUEST``.
    """
    if count > MAX_LINKS:
        raise bad_request(
            '400-BAD-REQUEST',
            f'/links: a body holds at most {MAX_LINKS} links, not {count}',
        )


def plain_link_rule(plan: Element) -> Callable[[Any], bool] | None:
    """Return a cheap test of a link that the schema surely accepts.

    A link passes when it is an object holding its required keys and only
    declared ones, every value a non-empty string. That implies validity
    only while the schema asks no more of a link (no pattern, no length
    beyond 1): otherwise there is no rule (None), and every link goes
    through the schema validator.
    """
    node = plan.field('links')
    if not (isinstance(node, Array) and isinstance(node.item, Element)):
        return None
    link = node.item
    for _name, scalar in link.attributes:
        rules = scalar.rules
        if (
            scalar.kind != 'string'
            or not rules.keys() <= _PLAIN_RULES
            or rules.get('minLength', 0) > 1
        ):
            return None
    if link.fields:
        return None
    keys = frozenset(name for name, _scalar in link.attributes)
    required = link.required

    def plain(value: Any) -> bool:
        if type(value) is not dict or not required <= value.keys() <= keys:
            return False
        for text in value.values():
            if type(text) is not str or not text:
                return False
        return True

    return plain
