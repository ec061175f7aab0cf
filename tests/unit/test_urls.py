"""Links' URLs: segments and queries quoted exactly as the standard library
quotes them, whatever the values hold."""

from __future__ import annotations

from urllib.parse import parse_qsl
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest

from tests.unit.renderings import BASE
from tests.unit.renderings import urls

VALUES = [
    '',
    '7',
    'pending',
    '-createdAt',
    'a b',
    'a+b',
    'x&y=z',
    '2026-01-02T03:04:05.000Z',
    'naïve ünïcode',
    '../etc/passwd',
    '%41',
    '~tilde_ok.-',
]


@pytest.mark.parametrize('value', VALUES)
def test_a_query_is_what_urlencode_makes(value):
    query = [('status', value), (value or 'k', 25), ('sort', value)]
    made = urls().url('tasks', query=query)
    expected = urlencode([(key, str(item)) for key, item in query])
    assert made == f'{BASE}/tasks?{expected}'
    assert parse_qsl(urlsplit(made).query, keep_blank_values=True) == [
        (key, str(item)) for key, item in query
    ]


@pytest.mark.parametrize('value', VALUES[1:])
def test_a_segment_is_what_quote_makes(value):
    assert urls().url('users', value) == f'{BASE}/users/{quote(value, safe="")}'
