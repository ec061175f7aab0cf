"""Open a peewee database from an ``ABIQ_DATABASE_URL``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import peewee
from playhouse.db_url import parse
from playhouse.pool import PooledPostgresqlDatabase

from abiq.db.sqlite import SqliteDatabase

__all__ = ['open_database']

# NOTE: WAL lets readers run while a writer commits; busy_timeout makes a
# writer wait for another process's transaction instead of failing at once.
SQLITE_PRAGMAS = {
    'journal_mode': 'wal',
    'foreign_keys': 1,
    'busy_timeout': 10000,
    'synchronous': 'normal',
}


def open_database(url: str, pool_size: int = 20) -> peewee.Database:
    """Return an unconnected database for a ``sqlite://`` or ``postgresql://`` URL.

    A relative SQLite path is taken from the working directory and its folder
    is created, so ``sqlite:///var/abiq.db`` works in a fresh checkout.
    PostgreSQL connections come from a pool of at most ``pool_size``.

    Raises:
        ValueError: the URL's scheme is not SQLite or PostgreSQL.
    """
    scheme = urlsplit(url).scheme
    if scheme == 'sqlite':
        path = url[len('sqlite:///') :]
        if path and path != ':memory:':
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10)
    if scheme in ('postgres', 'postgresql'):
        params = parse(url.replace('postgres://', 'postgresql://', 1))
        name = params.pop('database')
        # NOTE: stale connections are recycled after 5 minutes; a request
        # waits up to 10 s for a free connection rather than failing at once.
        return PooledPostgresqlDatabase(
            name, max_connections=pool_size, stale_timeout=300, timeout=10, **params
        )
    raise ValueError(
        f'Unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...'
    )
