"""The ``id`` field of URI templates: an entity id, as the database holds one.

Falcon's ``int`` takes any integer Python can read (``-5``, ``1_0``, a
hundred digits); SQLite cannot compare a column with one beyond 64 bits and
fails the query, and Python's ``int()`` refuses more than 4,300 digits. An id
is 1 to 2**63 - 1 in at most 19 plain ASCII digits; anything else names no
route, so it is the path's ``404``.
"""

from __future__ import annotations

from falcon.routing import BaseConverter

from abiq.limits import MAX_ID
from abiq.limits import MAX_ID_DIGITS

__all__ = ['ID_SCHEMA', 'MAX_ID', 'IdConverter', 'parse_id']

#: the JSON Schema of an id in a path (the OpenAPI document)
ID_SCHEMA = {'type': 'integer', 'minimum': 1, 'maximum': MAX_ID}


def parse_id(text: str) -> int | None:
    """Return the entity id a text names, or None when it names none."""
    # NOTE: the length first: int() of thousands of digits is slow, and
    # beyond 4,300 it raises.
    if not (len(text) <= MAX_ID_DIGITS and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IdConverter(BaseConverter):
    """Converts ``{name:id}`` to an int, or rejects it."""

    def convert(self, value: str) -> int | None:
        """Return the id a path segment names, or None when it names none."""
        return parse_id(value)
