"""The unit tier itself: a unit test cannot open a database or a connection."""

from __future__ import annotations

import socket

import peewee
import pytest


def test_opening_a_database_fails_the_test():
    with pytest.raises(AssertionError, match='must not open a database'):
        peewee.SqliteDatabase(':memory:').connect()


def test_opening_a_connection_fails_the_test():
    with socket.socket() as sock, pytest.raises(AssertionError, match='connection'):
        sock.connect(('127.0.0.1', 5432))
