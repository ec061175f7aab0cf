"""Documents kept in memory to be sent again, and what they were written as.

A finished task's document is final (:mod:`abiq.finished`), so one kept to
be sent again can keep its writings too: its XML element in a page, its
row of a page's HTML table. Each writer asks :func:`written` for its text
under a key of its own (what it writes with, and into what), so the text is
made the first time and reused after.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Hashable
from typing import Any

__all__ = ['KeptDocument', 'written']


class KeptDocument(dict):
    """A document kept to be sent again. It must not be changed once kept."""

    __slots__ = ('writings',)

    def __init__(self, doc: dict[str, Any]) -> None:
        super().__init__(doc)
        self.writings: dict[Hashable, str] = {}


def written(doc: KeptDocument, key: Hashable, write: Callable[[], str]) -> str:
    """Return the text a writer made of ``doc`` under ``key``, made by
    ``write()`` the first time."""
    text = doc.writings.get(key)
    if text is None:
        text = doc.writings[key] = write()
    return text
