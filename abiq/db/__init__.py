"""Database access: opening a database from a URL, and the schema."""

from __future__ import annotations

from abiq.db.connection import open_database
from abiq.db.domain import DOMAIN_MODELS
from abiq.db.models import MODELS as ACCOUNT_MODELS
from abiq.db.models import bind
from abiq.db.models import database

__all__ = ['MODELS', 'bind', 'create_schema', 'open_database']

#: every table, in dependency order
MODELS = ACCOUNT_MODELS + DOMAIN_MODELS


def create_schema() -> None:
    """Create any missing table and index (idempotent)."""
    with database.connection_context():
        database.create_tables(MODELS, safe=True)
