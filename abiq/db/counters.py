"""Counters the database keeps itself, with triggers: every process and
every write path (the API, workers, ``abiq`` commands, an operator's SQL)
updates them in the same transaction as the change they count.

``task_tally``
    the number of task rows of each enterprise, so a page of a large tasks
    collection does not count the whole collection again (see
    :mod:`abiq.tasks.counting`).
``account_generation``
    a number that moves whenever a user changes or is deleted, or a token is
    revoked or changed, so each process knows when the credentials it
    remembers may be stale (see :mod:`abiq.auth`).
"""

from __future__ import annotations

import peewee

from abiq.db.models import BaseModel
from abiq.db.models import Enterprise
from abiq.db.models import database

__all__ = [
    'COUNTER_MODELS',
    'AccountGeneration',
    'TaskTally',
    'account_generation',
    'install_triggers',
]


class TaskTally(BaseModel):
    """How many task rows an enterprise has (expired ones included)."""

    enterprise = peewee.ForeignKeyField(
        Enterprise, primary_key=True, on_delete='CASCADE'
    )
    n = peewee.IntegerField(default=0)

    class Meta:
        table_name = 'task_tally'


class AccountGeneration(BaseModel):
    """One row: how many times accounts changed."""

    id = peewee.IntegerField(primary_key=True)
    generation = peewee.IntegerField(default=0)

    class Meta:
        table_name = 'account_generation'


COUNTER_MODELS = (TaskTally, AccountGeneration)


def account_generation() -> int:
    """Return the current generation of accounts (0 before any change)."""
    value = (
        AccountGeneration.select(AccountGeneration.generation)
        .where(AccountGeneration.id == 1)
        .scalar()
    )
    return value or 0


def install_triggers() -> None:
    """Create (or replace) the triggers and fill the tallies from the rows."""
    statements = (
        _SQLITE if isinstance(database.obj, peewee.SqliteDatabase) else _POSTGRESQL
    )
    for statement in statements:
        database.execute_sql(statement)
    database.execute_sql('DELETE FROM task_tally')
    database.execute_sql(
        'INSERT INTO task_tally (enterprise_id, n) '
        'SELECT enterprise_id, COUNT(*) FROM task GROUP BY enterprise_id'
    )


# NOTE: an upsert, so the rows need no creating beforehand (and a test that
# empties the tables cannot leave a trigger with nothing to update).
_COUNT_IN = (
    'INSERT INTO task_tally (enterprise_id, n) VALUES (NEW.enterprise_id, 1) '
    'ON CONFLICT (enterprise_id) DO UPDATE SET n = task_tally.n + 1;'
)
_COUNT_OUT = 'UPDATE task_tally SET n = n - 1 WHERE enterprise_id = OLD.enterprise_id;'
_BUMP = (
    'INSERT INTO account_generation (id, generation) VALUES (1, 1) '
    'ON CONFLICT (id) DO UPDATE SET generation = account_generation.generation + 1;'
)
# NOTE: a token's last_used_at changes while it is in use; that is no reason
# to forget remembered credentials, so only these columns count.
_TOKEN_COLUMNS = 'secret_hash, expires_at, user_id'

_SQLITE = (
    f'CREATE TRIGGER IF NOT EXISTS task_tally_in AFTER INSERT ON task '
    f'BEGIN {_COUNT_IN} END',
    f'CREATE TRIGGER IF NOT EXISTS task_tally_out AFTER DELETE ON task '
    f'BEGIN {_COUNT_OUT} END',
    f'CREATE TRIGGER IF NOT EXISTS task_tally_move AFTER UPDATE OF enterprise_id '
    f'ON task WHEN NEW.enterprise_id IS NOT OLD.enterprise_id '
    f'BEGIN {_COUNT_OUT} {_COUNT_IN} END',
    f'CREATE TRIGGER IF NOT EXISTS account_user_changed AFTER UPDATE ON "user" '
    f'BEGIN {_BUMP} END',
    f'CREATE TRIGGER IF NOT EXISTS account_user_deleted AFTER DELETE ON "user" '
    f'BEGIN {_BUMP} END',
    f'CREATE TRIGGER IF NOT EXISTS account_token_changed AFTER UPDATE OF '
    f'{_TOKEN_COLUMNS} ON token BEGIN {_BUMP} END',
    f'CREATE TRIGGER IF NOT EXISTS account_token_deleted AFTER DELETE ON token '
    f'BEGIN {_BUMP} END',
)

_POSTGRESQL = (
    f"""CREATE OR REPLACE FUNCTION abiq_task_tally() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN {_COUNT_OUT} END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {_COUNT_IN} END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION abiq_account_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN {_BUMP} RETURN NULL; END $$""",
    'DROP TRIGGER IF EXISTS task_tally ON task',
    'CREATE TRIGGER task_tally AFTER INSERT OR DELETE ON task '
    'FOR EACH ROW EXECUTE FUNCTION abiq_task_tally()',
    'DROP TRIGGER IF EXISTS task_tally_move ON task',
    'CREATE TRIGGER task_tally_move AFTER UPDATE OF enterprise_id ON task '
    'FOR EACH ROW WHEN (NEW.enterprise_id IS DISTINCT FROM OLD.enterprise_id) '
    'EXECUTE FUNCTION abiq_task_tally()',
    'DROP TRIGGER IF EXISTS account_user_changed ON "user"',
    'CREATE TRIGGER account_user_changed AFTER UPDATE OR DELETE ON "user" '
    'FOR EACH ROW EXECUTE FUNCTION abiq_account_changed()',
    'DROP TRIGGER IF EXISTS account_token_changed ON token',
    f'CREATE TRIGGER account_token_changed AFTER DELETE OR UPDATE OF {_TOKEN_COLUMNS} '
    'ON token FOR EACH ROW EXECUTE FUNCTION abiq_account_changed()',
)
