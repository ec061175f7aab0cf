"""Error values: quoting client input, and the table of domain refusals."""

from __future__ import annotations

import pytest

from abiq import exceptions
from abiq.errors import DOMAIN_ERRORS
from abiq.errors import WWW_AUTHENTICATE
from abiq.errors import ApiError
from abiq.errors import ErrorItem
from abiq.errors import api_error_of
from abiq.errors import bad_request
from abiq.errors import conflict
from abiq.errors import forbidden
from abiq.errors import not_found
from abiq.errors import quoted
from abiq.errors import unauthorized
from abiq.exceptions import ECHO_LIMIT


@pytest.mark.parametrize('length', [0, 1, ECHO_LIMIT])
def test_short_text_is_quoted_whole(length):
    assert quoted('x' * length) == 'x' * length


def test_long_text_keeps_its_start_and_end_around_an_ellipsis():
    text = 'A' * 300 + 'Z' * 300
    shown = quoted(text)
    assert len(shown) == ECHO_LIMIT
    head, tail = shown.split('\u2026')
    assert (len(head), len(tail)) == (149, 50)
    assert text.startswith(head) and text.endswith(tail)
    assert quoted(12345, limit=3) == '1\u20265'
    assert len(quoted('y' * 50, limit=10)) == 10


@pytest.mark.parametrize(('cls', 'expected'), list(DOMAIN_ERRORS.items()))
def test_every_domain_refusal_has_its_status_and_code(cls, expected):
    error = api_error_of(cls('why not'))
    assert (error.status, error.errors) == (
        expected[0],
        [ErrorItem(expected[1], 'why not')],
    )
    assert error.headers == {}


def test_the_table_covers_every_domain_exception():
    exported = (getattr(exceptions, name) for name in exceptions.__all__)
    declared = {
        cls
        for cls in exported
        if isinstance(cls, type) and issubclass(cls, exceptions.DomainError)
    } - {exceptions.DomainError}
    assert declared == set(DOMAIN_ERRORS)


def test_an_unlisted_subclass_takes_its_nearest_listed_ancestor():
    class Frozen(exceptions.Locked):
        pass

    class Odd(exceptions.DomainError):
        pass

    assert api_error_of(Frozen('held')).errors[0].code == 'VM-2'
    with pytest.raises(TypeError, match='Odd has no entry in DOMAIN_ERRORS'):
        api_error_of(Odd('?'))


def test_the_refusals_written_once():
    held = api_error_of(exceptions.Locked.held('Virtual machine web'))
    assert held.errors[0].message == (
        'Virtual machine web is locked by another operation; wait for its task to end'
    )
    now = api_error_of(exceptions.NotAllowedNow.in_state('Virtual machine web', 'ON'))
    assert (now.status, now.errors[0].code) == (409, 'VM-3')
    assert (
        now.errors[0].message
        == 'Virtual machine web is ON; this action is not allowed now'
    )


@pytest.mark.parametrize(
    ('error', 'status', 'code', 'headers'),
    [
        (bad_request('QUERY-1', 'm'), 400, 'QUERY-1', {}),
        (
            unauthorized(),
            401,
            '401-UNAUTHORIZED',
            {'WWW-Authenticate': WWW_AUTHENTICATE},
        ),
        (forbidden('m'), 403, '403-FORBIDDEN', {}),
        (not_found(), 404, '404-NOT-FOUND', {}),
        (not_found('TASK-1', 'm'), 404, 'TASK-1', {}),
        (conflict('TASK-2', 'm'), 409, 'TASK-2', {}),
        (ApiError.one(405, '405-X', 'm', Allow='GET'), 405, '405-X', {'Allow': 'GET'}),
    ],
)
def test_the_error_helpers(error, status, code, headers):
    assert (error.status, error.errors[0].code, error.headers) == (
        status,
        code,
        headers,
    )


def test_an_error_reads_as_its_entries():
    error = ApiError(400, [ErrorItem('A-1', 'one'), ErrorItem('B-2', 'two')])
    assert str(error) == '400 A-1: one; B-2: two'
