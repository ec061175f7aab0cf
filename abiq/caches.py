"""A cache bounded in entries and in bytes: what abiq keeps in memory.

Every in-memory cache of abiq is one of these (the negotiated types, the
base URLs, the answers of finished tasks, the OpenAPI documents), so memory
is bounded by the numbers its owner chose, never by what clients send::

    cache = BoundedCache(entries=512, max_bytes=256 * 1024)
    cache.put(key, value, size=len(key) + 200)
    cache.get(key)  # the value, or None

``size`` is the owner's estimate of what an entry holds (keys included);
the least recently used entries go first when either bound is passed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic
from typing import TypeVar

__all__ = ['BoundedCache']

V = TypeVar('V')


class BoundedCache(Generic[V]):
    """A least-recently-used map bounded in entries and in bytes.

    Args:
        entries: the most entries kept.
        max_bytes: the most bytes kept, as the sizes given to :meth:`put`
            add up; an entry larger than this is never kept.
    """

    def __init__(self, entries: int, max_bytes: int) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> V | None:
        """Return the value kept for a key, or None."""
        # PERF: no lock on the hot path. Each OrderedDict call is atomic
        # under the GIL; a key another thread drops in between only makes
        # move_to_end fail, and the value read is still a whole one.
        found = self._items.get(key)
        if found is None:
            return None
        try:
            self._items.move_to_end(key)
        except KeyError:
            pass
        return found[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        """Keep a value of ``size`` bytes, dropping the oldest as needed."""
        if size > self.max_bytes:
            return
        with self._lock:
            self._drop(key)
            self._items[key] = (value, size)
            self.nbytes += size
            while len(self._items) > self.entries or self.nbytes > self.max_bytes:
                self._drop(next(iter(self._items)))

    def pop(self, key: Hashable) -> None:
        """Forget a key, if it is kept."""
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()
            self.nbytes = 0

    def _drop(self, key: Hashable) -> None:
        found = self._items.pop(key, None)
        if found is not None:
            self.nbytes -= found[1]
