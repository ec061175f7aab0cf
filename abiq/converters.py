"""The ``id`` field of URI templates: an entity id, as the database holds one.

Falcon's ``int`` takes any integer Python can read (``-5``, ``1_0``, a
hundred digits); SQLite cannot compare a column with one beyond 64 bits and
fails the query. An id is 1 to 2**63 - 1 in plain ASCII digits; anything else
names no route, so it is the path's ``404``.
"""

from __future__ import annotations

from falcon.routing import BaseConverter

__all__ = ['ID_SCHEMA', 'MAX_ID', 'IdConverter']

#: the largest SQLite INTEGER (and PostgreSQL bigint)
MAX_ID = 2**63 - 1
#: the JSON Schema of an id in a path (the OpenAPI document)
ID_SCHEMA = {'type': 'integer', 'minimum': 1, 'maximum': MAX_ID}


class IdConverter(BaseConverter):
    """Converts ``{name:id}`` to an int, or rejects it."""

    def convert(self, value: str) -> int | None:
        """Return the id a path segment names, or None when it names none."""
        if not (value.isascii() and value.isdigit()):
            return None
        number = int(value)
        return number if 1 <= number <= MAX_ID else None
