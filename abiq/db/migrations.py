"""Versioned schema migrations (``abiq migrate``; ``abiq init`` runs them too).

The database records its schema version in ``schema_version``. Version 1 is
the baseline (accounts, tasks, jobs, idempotency records and the domain);
each later version is a function that upgrades in place from the one
before, keeping every row. A server refuses to start on a schema newer than
it knows, and on an older one until it is migrated.

To change a model: add a migration at the end of :data:`MIGRATIONS` that
makes the same change with playhouse.migrate, so existing databases follow.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee
from playhouse.migrate import PostgresqlMigrator
from playhouse.migrate import SqliteMigrator

from abiq.db.counters import COUNTER_MODELS
from abiq.db.counters import install_triggers
from abiq.db.domain import DOMAIN_MODELS
from abiq.db.health import WorkerHeartbeat
from abiq.db.models import MODELS as ACCOUNT_MODELS
from abiq.db.models import Task
from abiq.db.models import database
from abiq.db.throttle import AuthFailure

__all__ = ['LATEST', 'MIGRATIONS', 'SchemaError', 'check', 'current_version', 'migrate']


class SchemaError(RuntimeError):
    """The database's schema is not the one this version of abiq runs on."""


class SchemaVersion(peewee.Model):
    version = peewee.IntegerField()

    class Meta:
        database = database
        table_name = 'schema_version'


def _baseline(migrator) -> None:
    database.create_tables(ACCOUNT_MODELS + DOMAIN_MODELS, safe=True)


def _worker_heartbeats(migrator) -> None:
    database.create_tables([WorkerHeartbeat], safe=True)


# NOTE: indexes version 3 replaced with wider ones (see Task.Meta).
_REPLACED_INDEXES = ('task_status_created_at', 'task_enterprise_id_created_at_id')
_REPLACED_INDEXES += ('task_created_at_id', 'task_status')


def _counters_and_paging_indexes(migrator) -> None:
    database.create_tables(COUNTER_MODELS, safe=True)
    for name in _REPLACED_INDEXES:
        database.execute_sql(f'DROP INDEX IF EXISTS {name}')
    Task._schema.create_indexes(safe=True)
    install_triggers()


def _auth_failures(migrator) -> None:
    database.create_tables([AuthFailure], safe=True)


def _claim_index(migrator) -> None:
    Task._schema.create_indexes(safe=True)


#: (version, what it does, how); applied in order, each in a transaction
MIGRATIONS: tuple[tuple[int, str, Callable], ...] = (
    (1, 'baseline: accounts, tasks, jobs, idempotency, domain', _baseline),
    (2, 'worker heartbeats for /api/health', _worker_heartbeats),
    (
        3,
        'task tallies and account generations (triggers), paging indexes',
        _counters_and_paging_indexes,
    ),
    (4, 'failed sign-ins per user name and address, for throttling', _auth_failures),
    (5, "the claim's index: server-run tasks by status and age", _claim_index),
    (6, "the claim's index of pending tasks, by age", _claim_index),
)
LATEST = MIGRATIONS[-1][0]


def current_version() -> int:
    """Return the schema version of the bound database (0: empty)."""
    if not database.table_exists('schema_version'):
        return 0
    return SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar() or 0


def migrate(target: int = LATEST) -> list[int]:
    """Apply every migration up to ``target``; return the versions applied.

    Raises:
        SchemaError: the database is newer than this abiq knows.
    """
    with database.connection_context():
        database.create_tables([SchemaVersion], safe=True)
        version = current_version()
        if version > LATEST:
            raise SchemaError(_newer(version))
        migrator = (
            SqliteMigrator(database.obj)
            if isinstance(database.obj, peewee.SqliteDatabase)
            else PostgresqlMigrator(database.obj)
        )
        applied = []
        for number, _, step in MIGRATIONS:
            if version < number <= target:
                with database.atomic():
                    step(migrator)
                    SchemaVersion.create(version=number)
                applied.append(number)
        return applied


def check() -> None:
    """Refuse to run on a schema this abiq does not match.

    Raises:
        SchemaError: newer (upgrade abiq) or older (run ``abiq migrate``).
    """
    with database.connection_context():
        version = current_version()
    if version > LATEST:
        raise SchemaError(_newer(version))
    if version < LATEST:
        raise SchemaError(
            f'The database schema is version {version}; this abiq needs {LATEST}. '
            'Run "abiq migrate" first.'
        )


def _newer(version: int) -> str:
    return (
        f'The database schema is version {version}, newer than this abiq knows '
        f'({LATEST}); upgrade abiq before starting it on this database.'
    )
