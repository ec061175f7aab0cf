"""SQLite writers of one process take turns on a lock, readers never wait."""

from __future__ import annotations

import threading

from abiq.db.models import Enterprise
from abiq.db.models import database
from abiq.db.models import write_transaction


def _in_thread(work) -> list:
    errors: list = []

    def run() -> None:
        database.connect(reuse_if_open=True)
        try:
            work()
        except Exception as ex:  # reported to the test below
            errors.append(ex)
        finally:
            database.close()

    return errors, threading.Thread(target=run)


def test_concurrent_read_modify_write_transactions_lose_nothing(sqlite):
    with database.connection_context():
        counter = Enterprise.create(name='0')

    def increment_many() -> None:
        for _ in range(50):
            with write_transaction():
                value = int(Enterprise.get_by_id(counter.id).name)
                Enterprise.update(name=str(value + 1)).where(
                    Enterprise.id == counter.id
                ).execute()

    runs = [_in_thread(increment_many) for _ in range(6)]
    for _, thread in runs:
        thread.start()
    for _, thread in runs:
        thread.join(60)
    assert [error for errors, _ in runs for error in errors] == []
    with database.connection_context():
        assert Enterprise.get_by_id(counter.id).name == '300'


def test_a_read_transaction_runs_while_a_writer_holds_the_lock(sqlite):
    holding, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with write_transaction():
            Enterprise.create(name='uncommitted')
            holding.set()
            assert release.wait(30)

    seen: list[int] = []

    def read_in_a_transaction() -> None:
        with database.atomic(lock_type='DEFERRED'):
            seen.append(Enterprise.select().count())

    errors, writer = _in_thread(hold_the_write_lock)
    writer.start()
    try:
        assert holding.wait(30)
        reader_errors, reader = _in_thread(read_in_a_transaction)
        reader.start()
        reader.join(10)  # a reader queued behind the writer would still be here
        assert not reader.is_alive() and reader_errors == []
        assert seen == [0]  # its snapshot lacks the uncommitted row
    finally:
        release.set()
        writer.join(30)
    assert errors == []
    with database.connection_context():
        assert [e.name for e in Enterprise.select()] == ['uncommitted']
