"""Open a peewee database from an ``ABIQ_DATABASE_URL``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import peewee
from playhouse.db_url import parse
from playhouse.pool import PooledPostgresqlDatabase

from abiq.db.prepared import PreparingPostgresDatabase
from abiq.db.sqlite import SqliteDatabase

if TYPE_CHECKING:
    from abiq.config import Config

__all__ = ['database_for', 'open_database']

# NOTE: WAL lets readers run while a writer commits; busy_timeout makes a
# writer wait for another process's transaction instead of failing at once.
SQLITE_PRAGMAS = {
    'journal_mode': 'wal',
    'foreign_keys': 1,
    'busy_timeout': 10000,
    # NOTE: a write transaction's statements run inside a savepoint (group
    # commit, abiq.db.groupcommit), whose journal SQLite otherwise keeps in a
    # temporary file: ~25 us of each task's two inserts (docs/performance.rst).
    'temp_store': 'memory',
}
#: ``synchronous`` values an operator may choose (ABIQ_SQLITE_SYNCHRONOUS)
SYNCHRONOUS = ('full', 'normal')
# NOTE: TCP keepalives on every PostgreSQL connection, so a cut that sends
# no FIN (a network partition, a failover) is noticed within a minute
# instead of a query (or a LISTEN) waiting on a dead socket for good.
PG_KEEPALIVES = {
    'keepalives': 1,
    'keepalives_idle': 15,
    'keepalives_interval': 5,
    'keepalives_count': 3,
}


class _PreparingPool(PreparingPostgresDatabase, PooledPostgresqlDatabase):
    """A pool of PostgreSQL connections that prepares compiled statements."""


def open_database(
    url: str, pool_size: int = 20, synchronous: str = 'full', prepare: bool = True
) -> peewee.Database:
    """Return an unconnected database for a ``sqlite://`` or ``postgresql://`` URL.

    A relative SQLite path is taken from the working directory and its folder
    is created, so ``sqlite:///var/abiq.db`` works in a fresh checkout.
    PostgreSQL connections come from a pool of at most ``pool_size``.

    Args:
        synchronous: SQLite's ``synchronous`` pragma. ``full`` syncs the WAL
            at every commit, so a task is on disk before its 202 is sent;
            ``normal`` syncs at checkpoints only and may lose the last
            commits on a power loss (never on a crash of abiq itself).
        prepare: PostgreSQL: run compiled statements as prepared ones
            (:mod:`abiq.db.prepared`).

    Raises:
        ValueError: the URL's scheme is not SQLite or PostgreSQL.
    """
    scheme = urlsplit(url).scheme
    if scheme == 'sqlite':
        path = url[len('sqlite:///') :]
        if path and path != ':memory:':
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f'synchronous must be one of {SYNCHRONOUS}')
        pragmas = {**SQLITE_PRAGMAS, 'synchronous': synchronous}
        return SqliteDatabase(path, pragmas=pragmas, timeout=10)
    if scheme in ('postgres', 'postgresql'):
        return _postgres(url, pool_size, prepare)
    raise ValueError(
        f'Unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...'
    )


def _postgres(url: str, pool_size: int, prepare: bool) -> peewee.Database:
    params = parse(url.replace('postgres://', 'postgresql://', 1))
    name = params.pop('database')
    params = {**PG_KEEPALIVES, **params}
    # NOTE: stale connections are recycled after 5 minutes; a request waits
    # up to 10 s for a free connection rather than failing at once.
    pool = _PreparingPool if prepare else PooledPostgresqlDatabase
    return pool(
        name, max_connections=pool_size, stale_timeout=300, timeout=10, **params
    )


def database_for(config: Config) -> peewee.Database:
    """Return an unconnected database with a configuration's settings."""
    return open_database(
        config.database_url,
        config.database_pool,
        config.sqlite_synchronous,
        config.database_prepare == 'on',
    )
