"""Cross-process wake-ups on PostgreSQL: ``LISTEN`` / ``NOTIFY``.

Every task change is announced with ``NOTIFY abiq_tasks`` (coalesced, from a
thread of the process's own: :mod:`abiq.announcer`). Each process runs
one :class:`Listener` thread on a dedicated connection that turns those
notifications into in-process :class:`~abiq.tasks.notify.Changes` signals,
so workers and long polls on every host wake within milliseconds, and
polling remains only as a slow safety net.
"""

from __future__ import annotations

import logging
import os
import select
import threading
from typing import Protocol

import peewee

from abiq.announcer import Announcer
from abiq.db.faults import Backoff
from abiq.db.models import database

__all__ = ['CHANNEL', 'Listener', 'is_postgres', 'notify_all']

CHANNEL = 'abiq_tasks'
log = logging.getLogger('abiq.notify')
_announcer: Announcer | None = None
_announcer_lock = threading.Lock()


class Signal(Protocol):
    """What a listener wakes (an :class:`abiq.tasks.notify.Changes`)."""

    def notify(self) -> None:
        """Wake every waiter."""


def is_postgres() -> bool:
    """Tell whether the models are bound to PostgreSQL."""
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def notify_all() -> None:
    """Announce a task change to every process (PostgreSQL only).

    The ``NOTIFY`` goes out within :data:`abiq.announcer.GAP`, from this
    process's announcer thread, one for every change flagged meanwhile."""
    if is_postgres():
        _process_announcer().announce()


def _process_announcer() -> Announcer:
    global _announcer
    # NOTE: a forked process has none of its parent's threads: its own.
    if _announcer is None or _announcer.pid != os.getpid():
        with _announcer_lock:
            if _announcer is None or _announcer.pid != os.getpid():
                _announcer = Announcer(_send_notify)
    return _announcer


def _send_notify() -> None:
    db = database.obj
    if isinstance(db, peewee.PostgresqlDatabase):
        with db.connection_context():
            db.execute_sql(f'NOTIFY {CHANNEL}')


class Listener:
    """A thread that listens on :data:`CHANNEL` and signals ``changes``.

    Args:
        db: a PostgreSQL database (its connection parameters are reused for
            the listener's own connection).
        changes: the process's change signal.
    """

    def __init__(self, db: peewee.PostgresqlDatabase, changes: Signal) -> None:
        self.db = db
        self.changes = changes
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name='abiq-listen', daemon=True
        )
        self.ready = threading.Event()
        self._backoff = Backoff()

    def start(self) -> Listener:
        """Start listening; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as ex:  # NOTE: reconnect after a lost connection
                log.warning('LISTEN connection failed (%s); reconnecting', ex)
                self._stop.wait(self._backoff.delay())

    def _listen(self) -> None:
        import psycopg2

        # NOTE: a connection of its own, outside the pool: it stays in LISTEN.
        # Its parameters carry the pool's TCP keepalives (abiq.db.connection).
        connection = psycopg2.connect(dbname=self.db.database, **self.db.connect_params)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'LISTEN {CHANNEL}')
            self.ready.set()
            self._backoff.reset()
            # NOTE: changes announced while the connection was down were
            # lost; whoever waits looks again now.
            self.changes.notify()
            while not self._stop.is_set():
                readable, _, _ = select.select([connection], [], [], 1.0)
                if not readable:
                    continue
                connection.poll()
                if connection.notifies:
                    connection.notifies.clear()
                    self.changes.notify()
        finally:
            connection.close()
