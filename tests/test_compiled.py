"""Each compiled statement is the SQL peewee builds, with its parameters."""

from __future__ import annotations

import datetime as dt
import os

import peewee
import pytest

from abiq import auth
from abiq.db import bind
from abiq.db import create_schema
from abiq.db import open_database
from abiq.db import taskfused
from abiq.db import taskstatements
from abiq.db.compiled import Compiled
from abiq.db.compiled import CompiledInsert
from abiq.db.compiled import literal
from abiq.db.compiled import load
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.db.models import Token
from abiq.db.models import User
from abiq.db.models import database
from abiq.tasks import counting
from abiq.tasks.sqlstore import visible_with_jobs

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, 6)
# NOTE: one real value per parameter name; a new name fails the test until
# it gets one here.
VALUES = {
    'task_id': 'task-1',
    'worker_id': 'worker-1',
    'now': NOW,
    'lease': NOW + dt.timedelta(seconds=30),
    'expires': NOW + dt.timedelta(days=1),
    'status': 'failed',
    'errors': '[{"code": "TASK-6"}]',
    'progress': 42,
    'result_kind': 'enterprise',
    'result_id': '7',
    'job_id': 11,
    'max_claims': 3,
    'enterprise': 3,
    'log': 'a line',
    'secret_hash': 'ab' * 32,
    'name': 'alice',
}
BY_TYPE = {
    peewee.ForeignKeyField: 5,
    peewee.AutoField: 9,
    peewee.BooleanField: True,
    peewee.DateTimeField: NOW,
    peewee.IntegerField: 12,
    peewee.TextField: 'some text',
    peewee.CharField: 'chars',
}


def _statements() -> dict[str, Compiled]:
    found = dict(taskstatements.statements())
    found.update(taskfused.statements())
    found['jobs of 4 tasks'] = taskstatements.jobs_of_tasks(4)
    found['token by hash'] = auth._TOKEN_BY_HASH
    found['user by name'] = auth._USER_BY_NAME
    for enterprise in (None, 3):
        for statuses in ((), ('pending',), ('finished', 'failed')):
            label = f'count {enterprise} {"+".join(statuses) or "all"}'
            found[label] = _count_statement(enterprise, statuses)
    return found


def _count_statement(enterprise, statuses) -> Compiled:
    wanted = frozenset(statuses) or frozenset(counting.STATUSES)
    if enterprise is None:
        return Compiled(lambda now: counting._total(None, wanted, now))
    return Compiled(lambda now, enterprise: counting._total(enterprise, wanted, now))


def _values(compiled: Compiled) -> dict:
    if compiled.names and compiled.names[0].startswith('id'):
        return {name: f'task-{name}' for name in compiled.names}
    return {name: VALUES[name] for name in compiled.names}


def _insert_values(insert: CompiledInsert) -> dict:
    return {
        field.name: field.db_value(
            next(v for kind, v in BY_TYPE.items() if isinstance(field, kind))
        )
        for field in insert.fields
    }


@pytest.fixture(params=['sqlite', 'postgresql'])
def dialect(request):
    previous = database.obj
    if request.param == 'sqlite':
        bind(peewee.SqliteDatabase(':memory:'))
    else:
        url = os.environ.get('ABIQ_TEST_DATABASE_URL')
        # NOTE: building SQL needs no connection; a configured server is used
        # when there is one, so its own database class is the one checked.
        bind(open_database(url) if url else peewee.PostgresqlDatabase('abiq'))
    yield request.param
    bind(previous)


def _peewee(query) -> tuple[str, list]:
    sql, params = database.get_sql_context().sql(query).query()
    return sql, list(params)


@pytest.mark.parametrize('name', sorted(_statements()))
def test_each_statement_is_the_sql_peewee_builds(dialect, name):
    compiled = _statements()[name]
    values = _values(compiled)
    assert compiled.statement(**values) == _peewee(compiled.query(**values))


@pytest.mark.parametrize('model', [Task, TaskJob])
def test_each_insert_is_the_sql_peewee_builds(dialect, model):
    insert = CompiledInsert(model)
    values = _insert_values(insert)
    expected = _peewee(model.insert({f: values[f.name] for f in insert.fields}))
    assert insert.statement.statement(**values) == expected
    assert '?' in expected[0] if dialect == 'sqlite' else '%s' in expected[0]


# NOTE: values of other types than their fields store, and of the same
# type, None and defaults: the insert must hand the driver what db_value does.
ODD_VALUES = [
    {'progress': '42', 'attempt': True, 'external': 1, 'description': 7},
    {'progress': 42, 'attempt': 2, 'external': False, 'description': 'plain'},
    {'progress': 0, 'started_at': None, 'user': None, 'lease_owner': None},
]


@pytest.mark.parametrize('given', ODD_VALUES)
def test_an_insert_hands_the_driver_what_each_fields_db_value_gives(
    dialect, monkeypatch, given
):
    insert = CompiledInsert(Task)
    values = {**_insert_values(insert), **given}
    values.pop('revision')  # NOTE: left to its default
    sent = []
    monkeypatch.setattr(insert.statement, 'execute', lambda **p: sent.append(p))
    insert.insert(**values)
    expected = {
        field.name: field.db_value(values.get(field.name, field.default))
        for field in insert.fields
    }
    assert sent == [expected]
    assert all(type(sent[0][n]) is type(v) for n, v in expected.items())


def test_a_parameter_left_out_of_the_query_is_refused(dialect):
    unused = Compiled(lambda task_id, now: Task.select().where(Task.id == task_id))
    with pytest.raises(ValueError, match='every parameter'):
        unused.statement(task_id='t', now=NOW)


@pytest.fixture
def stored(tmp_path):
    previous = database.obj
    db = open_database(f'sqlite:///{tmp_path}/unit.db')
    bind(db)
    create_schema()
    enterprise = Enterprise.create(name='acme')
    user = User.create(
        enterprise=enterprise, name='alice', role='admin', password_hash='-'
    )
    Token.create(user=user, name='t', secret_hash='ab' * 32, expires_at=NOW)
    task = Task.create(
        id='task-1',
        type='SLEEP',
        enterprise=enterprise,
        user=user,
        started_at=NOW,
        external=True,
        cancel_requested=True,
    )
    TaskJob.create(task=task, position=1, type='SLEEP', started_at=NOW)
    yield task
    db.close()
    bind(previous)


def _attribute(field: peewee.Field) -> str:
    if isinstance(field, peewee.ForeignKeyField):
        return field.object_id_name
    return field.name


def _fields(row, model) -> dict:
    names = [_attribute(field) for field in model._meta.sorted_fields]
    return {name: getattr(row, name) for name in names}


def test_records_read_as_the_models_do(stored):
    task, jobs = visible_with_jobs('task-1', NOW, None)
    assert _fields(task, Task) == _fields(Task.get_by_id('task-1'), Task)
    assert _fields(jobs[0], TaskJob) == _fields(TaskJob.get(), TaskJob)
    assert task.cancel_requested is True and task.started_at == NOW
    token = auth._TOKEN_BY_HASH.first(secret_hash='ab' * 32)
    assert token.user.name == 'alice' and token.expires_at == NOW
    assert token.user.role == 'admin' and token.user_id == token.user.id


def test_a_page_loads_records_and_a_foreign_key_reads_its_row(stored):
    (user,) = load(User.select())
    assert user.enterprise.name == 'acme' and user.enterprise_id == user.enterprise.id
    assert load(Task.select(Task.id))[0].status is None  # a column left out
    with pytest.raises(AttributeError):
        _ = user.nothing
    counted = load(Task.select(peewee.fn.COUNT(Task.id)))
    assert isinstance(counted[0], Task)  # an expression: left to peewee


def test_a_literal_is_written_into_the_sql_and_only_a_word_is_taken(dialect):
    sql, params = Compiled(
        lambda task_id: Task.select(Task.id).where(
            (Task.status == literal('pending')) & (Task.id == task_id)
        )
    ).statement(task_id='t1')
    assert "= 'pending'" in sql and params == ['t1']
    limited, params = Compiled(
        lambda task_id: Task.select(Task.id).where(Task.id == task_id).limit(literal(1))
    ).statement(task_id='t1')
    assert limited.endswith('LIMIT 1') and params == ['t1']
    for unsafe in ("pending' OR '1'='1", 'two words', '', True, 1.5):
        with pytest.raises(ValueError, match='not a fixed word'):
            literal(unsafe)
