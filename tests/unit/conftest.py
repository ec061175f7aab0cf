"""The unit tier: pure objects, no server, no database.

The fixtures of ``tests/conftest.py`` stay defined here (pytest reads every
conftest up the tree) but a unit test must not ask for them: this one makes
opening a database or a network connection fail the test that does it.
"""

from __future__ import annotations

import socket

import peewee
import pytest


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise AssertionError(f'a unit test must not open {what}')

    return refuse


@pytest.fixture(autouse=True)
def _pure(monkeypatch: pytest.MonkeyPatch) -> None:
    # NOTE: every peewee database (SQLite, PostgreSQL, pooled) connects
    # through Database.connect; every client (HTTP, PostgreSQL over TCP)
    # through socket.connect.
    monkeypatch.setattr(peewee.Database, 'connect', _refuse('a database'))
    monkeypatch.setattr(socket.socket, 'connect', _refuse('a connection'))
