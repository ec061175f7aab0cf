"""Database access: opening a database from a URL, and the schema."""

from __future__ import annotations

from abiq.db.connection import open_database
from abiq.db.models import MODELS
from abiq.db.models import bind
from abiq.db.models import create_schema

__all__ = ['MODELS', 'bind', 'create_schema', 'open_database']
