"""Operating abiq: health checks and schema migrations."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from abiq.db import bind
from abiq.db import migrations
from abiq.db import open_database
from abiq.db.counters import TaskTally
from abiq.db.health import WorkerHeartbeat
from abiq.db.health import beat
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import User
from abiq.db.models import database
from tests.factories import make_tasks


def test_health_reports_database_and_worker_heartbeats(api, world):
    beat('host-a:1', 2)
    answer = api.as_user(None).get('/health', status=200)
    assert answer.headers['Content-Type'] == 'application/health+json'
    body = orjson.loads(answer.body)
    assert body['status'] == 'pass'
    assert body['checks']['database'][0]['status'] == 'pass'
    workers = body['checks']['workers:heartbeat']
    assert [w['componentId'] for w in workers] == ['host-a:1']
    assert workers[0]['status'] == 'pass' and workers[0]['observedValue'] < 30


def test_health_is_503_when_the_database_is_unreachable(api, world, tmp_path):
    saved = database.obj
    bind(open_database(f'sqlite:///{tmp_path}'))  # a folder: cannot be opened
    try:
        answer = api.as_user(None).get('/health', status=503)
        assert orjson.loads(answer.body)['status'] == 'fail'
        other = api.get('/', status=503)
        assert other.codes == ['503-SERVICE-UNAVAILABLE']
    finally:
        database.close()
        bind(saved)


@pytest.fixture
def fresh_sqlite(tmp_path):
    url = f'sqlite:///{tmp_path}/old.db'
    db = open_database(url)
    saved = database.obj
    bind(db)
    yield url
    db.close()
    bind(saved)


def test_migrating_from_the_previous_version_keeps_every_row(fresh_sqlite):
    assert migrations.migrate(target=1) == [1]
    with database.connection_context():
        assert not database.table_exists('workerheartbeat')
        enterprise = Enterprise.create(name='old')
        user = User.create(
            enterprise=enterprise, name='u', role='user', password_hash='x'
        )
        ids = make_tasks(enterprise, user, 25)
    with pytest.raises(migrations.SchemaError, match='abiq migrate'):
        migrations.check()
    assert migrations.migrate() == [2, 3, 4, 5, 6]
    migrations.check()
    with database.connection_context():
        assert sorted(task.id for task in Task.select()) == sorted(ids)
        assert User.get(User.name == 'u').enterprise.name == 'old'
        WorkerHeartbeat.create(worker='w')
        # version 3 counted the rows that were there, and counts new ones
        assert TaskTally.get_by_id(enterprise.id).n == 25
        make_tasks(enterprise, user, 2)
        assert TaskTally.get_by_id(enterprise.id).n == 27
    assert migrations.migrate() == []


@pytest.mark.parametrize(
    ('version', 'index'), [(5, 'task_claimable'), (6, 'task_pending')]
)
def test_a_claim_index_migration_adds_it_and_keeps_every_row(
    fresh_sqlite, version, index
):
    before = list(range(1, version))
    assert migrations.migrate(target=version - 1) == before
    with database.connection_context():
        # NOTE: as abiq of the version before made it: no such index
        database.execute_sql(f'DROP INDEX {index}')
        enterprise = Enterprise.create(name='old')
        user = User.create(
            enterprise=enterprise, name='u', role='user', password_hash='x'
        )
        ids = make_tasks(enterprise, user, 5, external=False)
    assert migrations.migrate(target=version) == [version]
    with database.connection_context():
        assert index in {found.name for found in database.get_indexes('task')}
        assert sorted(task.id for task in Task.select()) == sorted(ids)
        plan = ' '.join(
            str(row)
            for row in database.execute_sql(
                'EXPLAIN QUERY PLAN SELECT id FROM task WHERE NOT external '
                "AND status = 'pending' ORDER BY created_at, id LIMIT 1"
            )
        )
        assert 'task_created_at' not in plan and 'TEMP B-TREE' not in plan


def test_a_newer_schema_is_refused(fresh_sqlite, tmp_path):
    migrations.migrate()
    with database.connection_context():
        migrations.SchemaVersion.create(version=migrations.LATEST + 1)
    with pytest.raises(migrations.SchemaError, match='newer'):
        migrations.check()
    env = dict(os.environ, ABIQ_DATABASE_URL=fresh_sqlite)
    result = subprocess.run(
        [sys.executable, '-m', 'abiq.cli', 'serve', '--port', '0'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3 and 'newer than this abiq knows' in result.stderr


def test_migrate_command(fresh_sqlite, tmp_path):
    env = dict(os.environ, ABIQ_DATABASE_URL=fresh_sqlite)
    run = [sys.executable, '-m', 'abiq.cli', 'migrate']
    first = subprocess.run(
        run, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert first.returncode == 0 and 'applied [1, 2, 3, 4, 5, 6]' in first.stdout
    again = subprocess.run(
        run, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert 'already current' in again.stdout
