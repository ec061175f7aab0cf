"""The one "accounts changed" signal, and who listens to it.

Some of what a process keeps in memory is derived from accounts (users,
their tokens, their enterprises): the verified credentials
(:class:`abiq.auth.Authenticator`) and the answers to finished tasks, whose
``user`` link a deleted user takes away (:class:`abiq.finished.FinishedTasks`).
Each subscribes to one :class:`AccountEvents`; it fires when accounts change:

* in this process, after an unsafe request to a resource that declares
  ``changes_accounts`` (:class:`abiq.middleware.AccountChanges`);
* elsewhere (another process, ``abiq`` commands, an operator's SQL), when
  the authenticator sees the database's account generation move
  (:mod:`abiq.db.counters`), within a second.

::

    accounts = AccountEvents()
    accounts.subscribe(cache.clear)
    epoch = accounts.epoch  # before reading what the cache will keep
    accounts.changed()  # every listener forgets; the epoch moves
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ['AccountEvents']


class AccountEvents:
    """The signal that accounts changed, with a count of its firings."""

    def __init__(self) -> None:
        #: how many times accounts changed, as this process knows: what was
        #: read under an older epoch may already be stale
        self.epoch = 0
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (no arguments) each time accounts change."""
        self._listeners.append(listener)

    def changed(self) -> None:
        """Say that accounts changed: move the epoch, then call every listener."""
        # NOTE: the epoch moves first: a reader that took the old one before
        # a listener forgot keeps nothing that would outlive the change.
        with self._lock:
            self.epoch += 1
        for listener in self._listeners:
            listener()
