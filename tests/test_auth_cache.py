"""The credentials a process remembers: bounded, and free on the hot path."""

from __future__ import annotations

import secrets
import time

import pytest

from abiq.db.models import Token
from abiq.db.models import database
from abiq.db.models import utcnow
from abiq.errors import ApiError
from abiq.passwords import hash_secret
from tests.conftest import PASSWORD
from tests.support import basic


def make_tokens(user, count: int) -> list[str]:
    """Insert ``count`` tokens of a user at once; return their secrets."""
    secrets_ = [f'abiq_{secrets.token_urlsafe(32)}' for _ in range(count)]
    # NOTE: lastUsedAt is now, so that using each costs no write
    now = utcnow()
    rows = [
        {
            'user': user,
            'name': f't{i}',
            'secret_hash': hash_secret(s),
            'last_used_at': now,
        }
        for i, s in enumerate(secrets_)
    ]
    with database.atomic():
        for start in range(0, count, 1000):
            Token.insert_many(rows[start : start + 1000]).execute()
    return secrets_


# NOTE: the cache is the same whatever the database; 12,000 lookups on a busy
# PostgreSQL would add seconds and prove nothing more.
@pytest.mark.parametrize('database_url', ['sqlite'], indirect=True)
def test_distinct_tokens_keep_the_cache_within_its_bound(api, app, world):
    authenticator = app.services.authenticator
    used = make_tokens(world.alice, authenticator.remember + 2000)
    with database.atomic():  # NOTE: one transaction: no commit per query
        for secret in used:
            assert authenticator.authenticate(f'Bearer {secret}').user.name == 'alice'
    assert authenticator.remembered == authenticator.remember
    # the first ones were forgotten, and still work: checked afresh
    first = api.as_user(f'Bearer {used[0]}')
    assert first.get('/', status=200).link('currentuser')
    assert authenticator.remembered == authenticator.remember
    for secret in used[-100:]:  # the newest ones are still remembered
        authenticator.authenticate(f'Bearer {secret}')
    assert authenticator.remembered == authenticator.remember


@pytest.fixture
def queries(monkeypatch) -> list[str]:
    """The SQL run by this process, in order."""
    run: list[str] = []
    real = database.obj.execute_sql

    def counted(sql, params=None, *args, **kwargs):
        run.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(database.obj, 'execute_sql', counted)
    return run


def test_a_remembered_password_costs_no_query(api, app, world, queries, monkeypatch):
    authenticator = app.services.authenticator
    header = basic('alice', PASSWORD)
    authenticator.authenticate(header)
    # NOTE: another pair being throttled must not add a query either
    for status in [401] * 10 + [429]:
        with pytest.raises(ApiError) as refused:
            authenticator.authenticate(basic('bob', 'wrong'))
        assert refused.value.status == status
    assert authenticator.failures.marks
    queries.clear()
    for _ in range(200):
        assert authenticator.authenticate(header).user.name == 'alice'
    # NOTE: at most the account generation, asked once a second
    assert len(queries) <= 2, queries
    # once bob's minute is over, nothing is left to look at
    later = time.time() + 61
    monkeypatch.setattr(authenticator.failures, 'clock', lambda: later)
    authenticator.authenticate(header)
    assert not authenticator.failures.marks
