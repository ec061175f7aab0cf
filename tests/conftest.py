"""Fixtures: a fresh database per test (SQLite, and PostgreSQL when
``ABIQ_TEST_DATABASE_URL`` is set), the app, and users in two enterprises."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest

from abiq.app import create_app
from abiq.config import Config
from abiq.db import MODELS
from abiq.db import bind
from abiq.db import create_schema
from abiq.db import open_database
from abiq.db.models import Enterprise
from abiq.db.models import User
from abiq.db.models import database
from abiq.passwords import hash_password
from tests.support import Api
from tests.support import basic

PG_URL = os.environ.get('ABIQ_TEST_DATABASE_URL')
PASSWORD = 'secret'


@pytest.fixture(scope='session')
def password_hash() -> str:
    # NOTE: scrypt is slow on purpose; one hash serves every test user.
    return hash_password(PASSWORD)


def _pg_url(worker: str) -> tuple[str, str]:
    # NOTE: one schema per test run and xdist worker, so that two runs on one
    # machine (a developer's and CI's) never truncate each other's tables.
    run = os.environ.get('PYTEST_XDIST_TESTRUNUID', str(os.getpid()))[:8]
    schema = f'abiq_test_{run}_{worker}'
    sep = '&' if '?' in PG_URL else '?'
    return PG_URL + sep + urlencode({'options': f'-csearch_path={schema}'}), schema


@pytest.fixture(scope='session')
def pg_database(worker_id: str):
    if not PG_URL:
        pytest.skip('PostgreSQL tests need ABIQ_TEST_DATABASE_URL (.ci/run sets it)')
    url, schema = _pg_url(worker_id)
    admin_db = open_database(PG_URL)
    admin_db.execute_sql(f'DROP SCHEMA IF EXISTS {schema} CASCADE')
    admin_db.execute_sql(f'CREATE SCHEMA {schema}')
    admin_db.close()
    db = open_database(url)
    bind(db)
    create_schema()
    yield url, db
    db.close()
    admin_db = open_database(PG_URL)
    admin_db.execute_sql(f'DROP SCHEMA IF EXISTS {schema} CASCADE')
    admin_db.close()


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    """A new SQLite database in ``folder``, with the schema, bound to the
    models; yields its URL."""
    url = f'sqlite:///{folder}/abiq.db'
    db = open_database(url)
    bind(db)
    create_schema()
    try:
        yield url
    finally:
        db.close()


@pytest.fixture(params=['sqlite', 'postgresql'])
def database_url(request, tmp_path) -> str:
    if request.param == 'sqlite':
        with sqlite_database(tmp_path) as url:
            yield url
        return
    url, db = request.getfixturevalue('pg_database')
    bind(db)
    tables = ', '.join(f'"{model._meta.table_name}"' for model in MODELS)
    db.execute_sql(f'TRUNCATE {tables} RESTART IDENTITY CASCADE')
    yield url


@pytest.fixture
def sqlite(tmp_path):
    """A SQLite file of its own, bound as the database for the test (with
    the schema), unbound again at its end with its shared write connection
    closed (:mod:`abiq.db.groupcommit`)."""
    saved = database.obj
    db = open_database(f'sqlite:///{tmp_path}/own.db')
    bind(db)
    create_schema()
    yield db
    db.close()
    db.close_shared()
    bind(saved)


@pytest.fixture
def config(database_url: str) -> Config:
    return Config(database_url=database_url, sim_latency=0)


@pytest.fixture(scope='session')
def _default_app():
    # NOTE: building the app compiles every schema and XSD; do it once.
    return create_app(Config(sim_latency=0), bind_database=False)


@pytest.fixture
def app(_default_app, config):
    # NOTE: every test has a database of its own; what the shared app derived
    # from another test's accounts (credentials, answers) means nothing here.
    _default_app.services.accounts.changed()
    return _default_app


def make_app(config: Config, **changes):
    """Return an app for a changed configuration (database already bound)."""
    return create_app(replace(config, **changes), bind_database=False)


@dataclass
class World:
    """Two tenants with users of every role."""

    admin: User
    acme: Enterprise
    alice: User  # user in acme
    vera: User  # viewer in acme
    other: Enterprise
    bob: User  # user in other


@pytest.fixture
def world(database_url, password_hash) -> World:
    with database.atomic():
        system = Enterprise.create(name='abiq')
        acme = Enterprise.create(name='acme')
        other = Enterprise.create(name='other')

        def user(name, enterprise, role):
            return User.create(
                name=name,
                enterprise=enterprise,
                role=role,
                email=f'{name}@example.com',
                password_hash=password_hash,
            )

        return World(
            admin=user('admin', system, 'admin'),
            acme=acme,
            alice=user('alice', acme, 'user'),
            vera=user('vera', acme, 'viewer'),
            other=other,
            bob=user('bob', other, 'user'),
        )


@pytest.fixture
def api(app, world) -> Api:
    """A client signed in as alice (role user in acme)."""
    return Api(app, app_codec(app), basic('alice', PASSWORD))


def app_codec(app):
    """Return the Codec a created app uses."""
    return app.services.codec


@pytest.fixture
def as_user(api):
    def switch(name: str | None) -> Api:
        return api.as_user(basic(name, PASSWORD) if name else None)

    return switch


@pytest.fixture
def hypervisor():
    """A connection of the test's own to libvirt's test hypervisor, without
    abiq's domains before and after the test (its state is shared by every
    connection of this process)."""
    libvirt = pytest.importorskip('libvirt')
    from tests.domain_support import remove_domains

    conn = libvirt.open('test:///default')
    remove_domains(conn)
    yield conn
    remove_domains(conn)
    conn.close()
