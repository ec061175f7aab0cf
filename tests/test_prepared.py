"""Compiled statements as PostgreSQL prepared statements (abiq.db.prepared):
each prepares, once per connection, gives what the plain statement gives,
and ABIQ_DATABASE_PREPARE=off sends plain statements only."""

from __future__ import annotations

import datetime as dt

import pytest

from abiq.config import Config
from abiq.db import bind
from abiq.db import open_database
from abiq.db.compiled import CompiledInsert
from abiq.db.connection import database_for
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import database
from abiq.db.prepared import Prepared
from abiq.tasks.sqlstore import SqlStore
from tests.test_compiled import _statements

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, 6)
# NOTE: PostgreSQL only (database_url skips without ABIQ_TEST_DATABASE_URL)
pytestmark = pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)


@pytest.fixture
def postgres(database_url):
    return database_url


class Sent:
    """Every statement a database is sent, in order."""

    def __init__(self, db) -> None:  # noqa: ANN001
        self.sql: list[str] = []
        self._execute = db.execute_sql
        db.execute_sql = self._record

    def _record(self, sql, params=None, *args):  # noqa: ANN001, ANN002, ANN202
        self.sql.append(sql)
        return self._execute(sql, params, *args)

    def starting(self, word: str) -> list[str]:
        return [sql for sql in self.sql if sql.startswith(word)]


def _inserts() -> dict[str, CompiledInsert]:
    return {
        'insert Task': CompiledInsert(Task),
        'insert TaskJob': CompiledInsert(TaskJob),
    }


@pytest.mark.parametrize('name', sorted([*_statements(), *_inserts()]))
def test_each_compiled_statement_prepares(postgres, name):
    compiled = {**_statements(), **{k: v.statement for k, v in _inserts().items()}}[
        name
    ]
    sql, params = compiled.statement(**dict.fromkeys(compiled.names))
    prepared = Prepared(sql, len(params))
    # NOTE: PostgreSQL infers every parameter's type from where it stands;
    # one it cannot place refuses the PREPARE.
    database.execute_sql(prepared.prepare)
    database.execute_sql(f'DEALLOCATE {prepared.name}')


def _a_claim_and_its_end(store: SqlStore) -> tuple:
    from abiq.db.models import Enterprise

    enterprise = Enterprise.create(name='acme')
    values = {
        'id': 'task-1',
        'type': 'SLEEP',
        'description': 'a task',
        'status': 'pending',
        'progress': 0,
        'attempt': 1,
        'created_at': NOW,
        'updated_at': NOW,
        'enterprise': enterprise.id,
        'external': False,
        'log': '',
        'errors': '[]',
        'cancel_requested': False,
        'params': '{"jobs": 1}',
        'claims': 0,
    }
    with store.transaction():
        store.insert(values, [])
    with store.transaction():
        claimed = store.claim('w', NOW, NOW + dt.timedelta(seconds=30), 3)
    return claimed.id, claimed.status, claimed.lease_owner, store.revision('task-1')


def test_a_connection_prepares_each_statement_once_and_answers_as_plain(
    postgres,
):
    database.obj.close_all()  # NOTE: a session that prepared nothing yet
    sent = Sent(database.obj)
    store = SqlStore()
    got = _a_claim_and_its_end(store)
    assert got == ('task-1', 'running', 'w', 2)
    prepares = sent.starting('PREPARE')
    assert len(prepares) == len(set(prepares)) >= 1
    assert not [sql for sql in sent.sql if sql.startswith(('UPDATE', 'WITH'))]
    # NOTE: the same statements again on the same connection: EXECUTE only
    before = len(prepares)
    with store.transaction():
        assert store.revision('task-1') == 2
        store.task('task-1')
    assert len(sent.starting('PREPARE')) == before + 1  # TASK, first use only
    with store.transaction():
        store.task('task-1')
    assert len(sent.starting('PREPARE')) == before + 1


def test_a_new_connection_prepares_again(postgres):
    store = SqlStore()
    _a_claim_and_its_end(store)
    database.obj.close_all()  # NOTE: as after a failover: new sessions
    sent = Sent(database.obj)
    assert store.revision('task-1') == 2
    assert len(sent.starting('PREPARE')) == 1


def test_with_prepare_off_every_statement_goes_as_it_is(postgres):
    saved = database.obj
    plain = database_for(
        Config(database_url=postgres, database_prepare='off', sim_latency=0)
    )
    bind(plain)
    try:
        sent = Sent(plain)
        assert _a_claim_and_its_end(SqlStore()) == ('task-1', 'running', 'w', 2)
        assert not sent.starting('PREPARE')
        assert not sent.starting('EXECUTE')
        assert sent.starting('WITH')  # the claim, as it is
    finally:
        plain.close_all()
        bind(saved)


def test_open_database_prepares_unless_told_not_to(postgres):
    assert getattr(open_database(postgres), 'prepares', False)
    assert not getattr(open_database(postgres, prepare=False), 'prepares', False)
