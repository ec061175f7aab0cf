"""LISTEN/NOTIFY: a change announced by one process wakes another at once."""

from __future__ import annotations

import time

import pytest

from abiq.db.models import database
from abiq.pgnotify import Listener
from abiq.pgnotify import is_postgres
from abiq.pgnotify import notify_all
from abiq.tasks.notify import Changes
from tests.engine_support import eventually


@pytest.fixture
def listener(database_url):
    if not is_postgres():
        pytest.skip('LISTEN/NOTIFY is PostgreSQL only')
    changes = Changes()
    running = Listener(database.obj, changes).start()
    assert running.ready.wait(10)
    yield changes
    running.stop()


def test_notify_wakes_the_listener(listener):
    seen = listener.generation
    began = time.monotonic()
    notify_all()
    eventually(lambda: listener.generation > seen, timeout=5, interval=0.005)
    assert time.monotonic() - began < 1.0


def test_sqlite_announces_nothing_across_processes(database_url):
    if is_postgres():
        pytest.skip('SQLite only')
    notify_all()  # a no-op, not an error
