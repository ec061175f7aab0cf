"""SQLite writers that queue share COMMITs, and nothing is acknowledged early.

:mod:`abiq.db.groupcommit`: a write transaction's ``commit()`` returns only
once its batch is on disk; a transaction that fails undoes its own work
only; a COMMIT that fails reaches every member of its batch.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import peewee

from abiq.db import open_database
from abiq.db.models import Enterprise
from abiq.db.models import database
from abiq.db.models import write_transaction

DEADLINE = 30.0


def _names_on_disk(path: str) -> set[str]:
    """Read the enterprises through a connection of nobody's batch."""
    with sqlite3.connect(path) as conn:
        return {name for (name,) in conn.execute('SELECT name FROM enterprise')}


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'no {what} within {DEADLINE} s')
        time.sleep(0.001)  # polling a condition, with a deadline


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
        assert not thread.is_alive()


def _writer(name: str, errors: list, fail: bool = False, seen: dict | None = None):
    def run() -> None:
        database.connect(reuse_if_open=True)
        try:
            with write_transaction():
                Enterprise.create(name=name)
                if fail:
                    raise RuntimeError(f'{name} fails')
            if seen is not None:
                # NOTE: the moment commit() returned, the row is on disk
                seen[name] = name in _names_on_disk(database.database)
        except Exception as ex:  # reported to the test
            errors.append(ex)
        finally:
            database.close()

    return threading.Thread(target=run)


def _queued_behind_a_writer(sqlite, others: list[threading.Thread], errors: list):
    """Hold a write transaction open until every other writer waits for the
    lock, so that they all join one batch; return the holder's thread."""
    group = sqlite._group

    def hold() -> None:
        database.connect(reuse_if_open=True)
        try:
            with write_transaction():
                Enterprise.create(name='holder')
                for thread in others:
                    thread.start()
                _wait_for(lambda: group._waiting == len(others), 'queue of writers')
        except Exception as ex:  # reported to the test
            errors.append(ex)
        finally:
            database.close()

    return threading.Thread(target=hold)


def test_writers_that_queue_share_one_commit_and_each_sees_its_row_on_disk(sqlite):
    errors: list = []
    seen: dict = {}
    names = [f'writer-{n}' for n in range(6)]
    others = [_writer(name, errors, seen=seen) for name in names]
    holder = _queued_behind_a_writer(sqlite, others, errors)
    before = sqlite._group.commits
    _run([holder])
    for thread in others:
        thread.join(DEADLINE)
    assert errors == []
    assert seen == dict.fromkeys(names, True)
    assert _names_on_disk(sqlite.database) == {'holder', *names}
    # NOTE: seven transactions, far fewer syncs
    assert sqlite._group.commits - before < len(names)


def test_a_failed_transaction_undoes_its_own_work_only(sqlite):
    errors: list = []
    seen: dict = {}
    others = [
        _writer('kept-1', errors, seen=seen),
        _writer('undone', errors, fail=True),
        _writer('kept-2', errors, seen=seen),
    ]
    holder = _queued_behind_a_writer(sqlite, others, errors)
    _run([holder])
    for thread in others:
        thread.join(DEADLINE)
    assert [str(error) for error in errors] == ['undone fails']
    assert seen == {'kept-1': True, 'kept-2': True}
    assert _names_on_disk(sqlite.database) == {'holder', 'kept-1', 'kept-2'}


class _FailingCommit:
    """The shared connection, whose COMMIT fails (a full disk, say)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args):
        if sql == 'COMMIT':
            raise sqlite3.OperationalError('database or disk is full')
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def test_a_failed_commit_reaches_every_member_and_keeps_nothing(sqlite, monkeypatch):
    group = sqlite._group
    sqlite.close_shared()
    connect = group._connect
    monkeypatch.setattr(group, '_connect', lambda: _FailingCommit(connect()))
    errors: list = []
    others = [_writer(f'lost-{n}', errors) for n in range(3)]
    holder = _queued_behind_a_writer(sqlite, others, errors)
    _run([holder])
    for thread in others:
        thread.join(DEADLINE)
    assert len(errors) == 4
    assert all(isinstance(error, peewee.OperationalError) for error in errors)
    assert _names_on_disk(sqlite.database) == set()


def test_savepoint_journals_stay_in_memory_on_the_shared_and_reading_connections(
    sqlite,
):
    # NOTE: every member of a batch writes inside a savepoint; with a file for
    # its journal each task's inserts cost ~25 us more (docs/performance.rst).
    # 2 is MEMORY.
    with write_transaction():
        assert sqlite.execute_sql('PRAGMA temp_store').fetchone() == (2,)
    assert sqlite.execute_sql('PRAGMA temp_store').fetchone() == (2,)


def test_an_in_memory_database_writes_on_its_own_connection():
    # NOTE: each connection to ':memory:' is a database of its own, so its
    # writes cannot go through a shared connection.
    db = open_database('sqlite:///:memory:')
    db.connect()
    try:
        db.execute_sql('CREATE TABLE note (text)')
        with db.atomic():
            db.execute_sql("INSERT INTO note VALUES ('kept')")
        db.execute_sql("INSERT INTO note VALUES ('also')")
        rows = db.execute_sql('SELECT text FROM note').fetchall()
        assert rows == [('kept',), ('also',)]
    finally:
        db.close()


def test_a_process_that_ends_leaves_every_commit_in_the_file(tmp_path):
    # NOTE: the shared connection is closed at exit, so the WAL is
    # checkpointed: the file alone, copied, holds what was written.
    path = tmp_path / 'alone.db'
    script = (
        'from abiq.db import bind, create_schema, open_database\n'
        'from abiq.db.models import Enterprise, database, write_transaction\n'
        f"db = open_database('sqlite:///{path}')\n"
        'bind(db)\n'
        'create_schema()\n'
        'with database.connection_context():\n'
        '    with write_transaction():\n'
        "        Enterprise.create(name='on disk')\n"
    )
    subprocess.run([sys.executable, '-c', script], check=True, timeout=60)
    copy = tmp_path / 'copy.db'
    shutil.copyfile(path, copy)
    assert _names_on_disk(str(copy)) == {'on disk'}
