"""The Authorization header read, and the authenticator hearing of changes."""

from __future__ import annotations

import base64

import pytest

from abiq.auth import Authenticator
from abiq.config import Config
from abiq.credentials import basic_pair
from abiq.errors import ApiError
from abiq.signals import AccountEvents


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode()


def refusal(call) -> str:
    with pytest.raises(ApiError) as refused:
        call()
    assert refused.value.status == 401
    return refused.value.errors[0].message


def test_a_basic_pair_splits_at_the_first_colon():
    assert basic_pair(b64('alice:se:cret')) == ('alice:se:cret', 'alice', 'se:cret')
    assert basic_pair(b64('élise:')) == ('élise:', 'élise', '')


@pytest.mark.parametrize(
    'credentials',
    [b64('no colon'), 'not base64!', b64(b'\xff:latin-1'), 'YT pi'],
)
def test_malformed_basic_credentials_are_401(credentials):
    message = refusal(lambda: basic_pair(credentials))
    assert message == 'Malformed Basic credentials'


@pytest.fixture
def authenticator() -> Authenticator:
    return Authenticator(Config(), accounts=AccountEvents())


@pytest.mark.parametrize('header', [None, ''])
def test_no_header_is_401(authenticator, header):
    refusal(lambda: authenticator.authenticate(header))


@pytest.mark.parametrize('header', ['Digest abc', 'Negotiate x', 'basic'])
def test_a_scheme_other_than_basic_or_bearer_is_401(authenticator, header):
    message = refusal(lambda: authenticator.authenticate(header))
    if header == 'basic':
        assert message == 'Malformed Basic credentials'
    else:
        assert message == 'Use HTTP Basic or a Bearer token'


def test_an_empty_bearer_token_is_401(authenticator):
    assert refusal(lambda: authenticator.authenticate('Bearer  ')) == (
        'Empty Bearer token'
    )


def test_accounts_changed_makes_the_authenticator_forget(authenticator):
    authenticator.failures.marks = {'pair': 1e18}
    authenticator._checked = 1e18  # NOTE: as if it just asked the database
    authenticator.accounts.changed()
    assert authenticator.failures.marks == {}
    assert authenticator._checked == 0.0  # it asks again at the next credential
