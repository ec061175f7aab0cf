"""Failed sign-ins are throttled per (user name, client address) pair."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import urllib.error
import urllib.request

import pytest
import webtest

import abiq.auth
from abiq.config import Config
from abiq.config import ConfigError
from abiq.db import bind
from abiq.db import migrations
from abiq.db import open_database
from abiq.db.models import Enterprise
from abiq.db.models import Token
from abiq.db.models import User
from abiq.db.models import database
from abiq.db.throttle import AuthFailure
from abiq.passwords import hash_secret
from tests.conftest import PASSWORD
from tests.conftest import app_codec
from tests.conftest import make_app
from tests.served import serving
from tests.support import Api
from tests.support import basic

ERRORS_XML = 'application/vnd.abiq.errors+xml'


class Clock:
    """A wall clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def cheap_hashes(request) -> None:
    """Give the test users scrypt hashes of little cost, so that tests of many
    failures stay fast; verification itself is unchanged (the stored hash
    carries its parameters)."""
    if 'world' in request.fixturenames:
        request.getfixturevalue('world')
        _cheapen()


def _cheapen() -> None:
    """Set every user's password to PASSWORD, hashed with little cost."""
    salt = b'throttle-salt-16'
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=16, r=8, p=1, dklen=32)
    encoded = [base64.urlsafe_b64encode(v).decode().rstrip('=') for v in (salt, digest)]
    User.update(password_hash=f'scrypt$16$8$1${encoded[0]}${encoded[1]}').execute()


@pytest.fixture
def clock(app, monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(app.services.authenticator.failures, 'clock', fake)
    return fake


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """The passwords abiq.auth pays a slow hash for, in order."""
    paid: list[str] = []
    real = abiq.auth.verify_password

    def counted(password: str, stored: str) -> bool:
        paid.append(password)
        return real(password, stored)

    monkeypatch.setattr(abiq.auth, 'verify_password', counted)
    return paid


def from_address(app, address: str, name: str, password: str = PASSWORD) -> Api:
    """A client of ``app`` whose requests come from ``address``."""
    client = Api(app, app_codec(app), basic(name, password))
    client.test_app = webtest.TestApp(app, extra_environ={'REMOTE_ADDR': address})
    return client


def fail(app, address: str, name: str, times: int) -> None:
    """Sign in ``times`` with a wrong password; each is a plain 401."""
    wrong = from_address(app, address, name, 'wrong')
    for _ in range(times):
        assert wrong.get('/', status=401).codes == ['401-UNAUTHORIZED']


def assert_throttled(answer, clock_left: int | None = None) -> int:
    assert answer.status == 429, answer.body
    assert answer.codes == ['429-TOO-MANY-REQUESTS']
    seconds = int(answer.headers['Retry-After'])
    assert 1 <= seconds <= 60
    if clock_left is not None:
        assert seconds == clock_left
    return seconds


def test_ten_failures_then_429_even_with_the_right_password(app, world, hashes):
    alice = from_address(app, '192.0.2.10', 'alice')
    alice.get('/', status=200)  # verified once, and remembered
    fail(app, '192.0.2.10', 'alice', 10)
    assert len(hashes) == 11
    assert_throttled(alice.as_user(basic('alice', 'guess')).get('/'))
    assert_throttled(alice.get('/'))  # remembered, yet refused
    app.services.authenticator.forget()
    assert_throttled(alice.get('/'))  # and checked afresh
    xml = alice.get('/', accept='application/xml', status=429)
    assert xml.headers['Content-Type'].startswith(ERRORS_XML)
    assert xml.codes == ['429-TOO-MANY-REQUESTS'] and 'Retry-After' in xml.headers
    assert len(hashes) == 11, 'no slow hash while throttled'


def test_other_users_and_addresses_are_not_throttled(app, world):
    fail(app, '192.0.2.10', 'alice', 10)
    assert_throttled(from_address(app, '192.0.2.10', 'alice').get('/'))
    from_address(app, '192.0.2.10', 'bob').get('/', status=200)
    from_address(app, '192.0.2.11', 'alice').get('/', status=200)
    # NOTE: a token is not throttled (see docs/authentication.rst)
    Token.create(user=world.alice, name='ci', secret_hash=hash_secret('abiq_x'))
    token = from_address(app, '192.0.2.10', 'alice').as_user('Bearer abiq_x')
    assert token.get('/', status=200).doc is not None


def test_the_window_passing_frees_the_pair(app, world, clock):
    alice = from_address(app, '192.0.2.10', 'alice')
    fail(app, '192.0.2.10', 'alice', 1)
    clock.now += 20
    fail(app, '192.0.2.10', 'alice', 9)
    assert_throttled(alice.get('/'), clock_left=40)
    clock.now += 39.5
    assert_throttled(alice.get('/'), clock_left=1)
    clock.now += 0.5
    alice.get('/', status=200)
    fail(app, '192.0.2.10', 'alice', 10)  # a new window, a new count
    assert_throttled(alice.get('/'), clock_left=60)


def test_a_success_does_not_reset_the_count(app, world, clock):
    alice = from_address(app, '192.0.2.10', 'alice')
    fail(app, '192.0.2.10', 'alice', 9)
    alice.get('/', status=200)
    app.services.authenticator.forget()
    fail(app, '192.0.2.10', 'alice', 1)
    assert_throttled(alice.get('/'))


def test_two_apps_on_one_database_share_the_count(config, world):
    first, second = make_app(config), make_app(config)
    fail(first, '192.0.2.10', 'alice', 5)
    fail(second, '192.0.2.10', 'alice', 5)
    assert_throttled(from_address(first, '192.0.2.10', 'alice').get('/'))
    assert_throttled(from_address(second, '192.0.2.10', 'alice').get('/'))
    from_address(second, '192.0.2.10', 'bob').get('/', status=200)


def test_another_process_sees_the_count(tmp_path):
    url = f'sqlite:///{tmp_path}/shared.db'
    saved = database.obj
    bind(open_database(url))
    try:
        migrations.migrate()
        with database.connection_context():
            enterprise = Enterprise.create(name='acme')
            User.create(
                enterprise=enterprise, name='alice', role='user', password_hash='x'
            )
            _cheapen()
        env = dict(os.environ, ABIQ_DATABASE_URL=url)
        with serving(env, tmp_path, '--workers', '0') as (root, _):
            wrong = {'Authorization': basic('alice', 'wrong')}
            for _ in range(10):
                with pytest.raises(urllib.error.HTTPError) as failed:
                    urllib.request.urlopen(urllib.request.Request(root, headers=wrong))
                assert failed.value.code == 401
        here = make_app(Config(database_url=url, sim_latency=0))
        assert_throttled(from_address(here, '127.0.0.1', 'alice').get('/'))
        from_address(here, '127.0.0.2', 'alice').get('/', status=200)
    finally:
        database.close()
        bind(saved)


def test_the_setting_is_read_and_zero_turns_throttling_off(config, world):
    assert Config.from_env({}).auth_failures_per_minute == 10
    assert (
        Config.from_env({'ABIQ_AUTH_FAILURES_PER_MINUTE': '3'}).auth_failures_per_minute
        == 3
    )
    with pytest.raises(ConfigError, match='ABIQ_AUTH_FAILURES_PER_MINUTE'):
        Config.from_env({'ABIQ_AUTH_FAILURES_PER_MINUTE': 'ten'})
    three = make_app(config, auth_failures_per_minute=3)
    fail(three, '::1', 'alice', 3)
    assert_throttled(from_address(three, '::1', 'alice').get('/'))
    off = make_app(config, auth_failures_per_minute=0)
    fail(off, '::1', 'alice', 12)
    from_address(off, '::1', 'alice').get('/', status=200)


def test_rows_are_small_whatever_the_name_and_old_windows_go(app, world, clock):
    from_address(app, '192.0.2.10', 'x' * 20000).get('/', status=401)
    clock.now += 61
    from_address(app, '192.0.2.10', 'alice', 'wrong').get('/', status=401)
    rows = list(AuthFailure.select())
    assert len(rows) == 1 and len(rows[0].pair) == 64
    assert rows[0].failures == 1


def test_behind_a_trusted_proxy_the_forwarded_client_counts(config, world):
    app = make_app(config, trusted_proxies=(ipaddress.ip_network('10.0.0.0/8'),))
    proxy = from_address(app, '10.0.0.1', 'alice')

    def via(hops: str, password: str = PASSWORD):
        return proxy.get(
            '/',
            headers={
                'X-Forwarded-For': hops,
                'Authorization': basic('alice', password),
            },
        )

    for _ in range(10):
        assert via('203.0.113.5', 'wrong').status == 401
    assert_throttled(via('203.0.113.5'))
    # NOTE: what the client put left of its own address changes nothing
    assert_throttled(via('198.51.100.1, 203.0.113.5'))
    assert via('198.51.100.7').status == 200


def test_migration_4_adds_the_table_and_keeps_every_row(tmp_path):
    saved = database.obj
    bind(open_database(f'sqlite:///{tmp_path}/old.db'))
    try:
        assert migrations.migrate(target=3) == [1, 2, 3]
        with database.connection_context():
            assert not database.table_exists('auth_failure')
            enterprise = Enterprise.create(name='old')
            User.create(enterprise=enterprise, name='u', role='user', password_hash='x')
        assert migrations.migrate() == [4, 5, 6]
        migrations.check()
        with database.connection_context():
            assert database.table_exists('auth_failure')
            assert User.get(User.name == 'u').enterprise.name == 'old'
            migrations.MIGRATIONS[3][2](None)  # idempotent: runs again harmlessly
        assert migrations.migrate() == []
    finally:
        database.close()
        bind(saved)
