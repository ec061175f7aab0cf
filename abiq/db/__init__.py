"""Database access: opening a database from a URL, and the schema."""

from __future__ import annotations

from abiq.db.connection import database_for
from abiq.db.connection import open_database
from abiq.db.counters import COUNTER_MODELS
from abiq.db.domain import DOMAIN_MODELS
from abiq.db.health import WorkerHeartbeat
from abiq.db.models import MODELS as ACCOUNT_MODELS
from abiq.db.models import bind
from abiq.db.throttle import AuthFailure

__all__ = ['MODELS', 'bind', 'create_schema', 'database_for', 'open_database']

#: every table, in dependency order
MODELS = ACCOUNT_MODELS + DOMAIN_MODELS + (WorkerHeartbeat,) + COUNTER_MODELS
MODELS += (AuthFailure,)  # no foreign key: last


def create_schema() -> list[int]:
    """Bring the schema to the latest version (idempotent); return the
    migrations applied."""
    from abiq.db.migrations import migrate

    return migrate()
