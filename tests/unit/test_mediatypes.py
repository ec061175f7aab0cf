"""Media type values: parsing one type, an Accept header, and the names of
a negotiated answer."""

from __future__ import annotations

import pytest

from abiq.mediatypes import VERSIONS
from abiq.mediatypes import Accepted
from abiq.mediatypes import MediaRange
from abiq.mediatypes import MediaTypeError
from abiq.mediatypes import parse_accept
from abiq.mediatypes import parse_media_type


@pytest.mark.parametrize(
    ('text', 'expected'),
    [
        ('application/json', MediaRange('application/json', (), 1.0)),
        (' Application/XML ', MediaRange('application/xml', (), 1.0)),
        (
            'application/vnd.abiq.task+xml; Version="1"; q=0.5',
            MediaRange('application/vnd.abiq.task+xml', (('version', '1'),), 0.5),
        ),
        ('a/b;q=2', MediaRange('a/b', (), 1.0)),
        ('a/b;q=-1', MediaRange('a/b', (), 0.0)),
        ('a/b;q=high', MediaRange('a/b', (), 0.0)),
        ('a/b;;flag;=x;k=v', MediaRange('a/b', (('k', 'v'),), 1.0)),
    ],
)
def test_parse_media_type(text, expected):
    assert parse_media_type(text) == expected


@pytest.mark.parametrize('text', ['', 'json', '/json', 'application/', 'a/b/c', ';q=1'])
def test_what_is_not_a_media_type_is_none(text):
    assert parse_media_type(text) is None


def test_a_default_q_for_what_says_none():
    assert parse_media_type('a/b', q_default=0.3).q == 0.3


@pytest.mark.parametrize(
    ('mime', 'fmt'),
    [
        ('application/vnd.abiq.task+json', 'json'),
        ('application/vnd.abiq.task+xml', 'xml'),
        ('application/json', 'json'),
        ('application/xml', 'xml'),
        ('text/xml', 'xml'),
        ('text/html', None),
        ('application/vnd.abiq.task', None),
    ],
)
def test_the_format_a_range_names(mime, fmt):
    assert MediaRange(mime, (), 1.0).format == fmt


def test_a_parameter_by_name():
    media = parse_media_type('a/b; version=2; charset=utf-8')
    assert (media.param('version'), media.param('charset')) == ('2', 'utf-8')
    assert media.param('q') is None


@pytest.mark.parametrize('header', [None, '', ' \t'])
def test_no_accept_accepts_anything(header):
    assert parse_accept(header) == (MediaRange('*/*', (), 1.0),)


def test_an_accept_header_keeps_its_order_and_skips_what_is_no_type():
    ranges = parse_accept('text/xml;q=0.2, bogus, , application/json')
    assert [(media.mime, media.q) for media in ranges] == [
        ('text/xml', 0.2),
        ('application/json', 1.0),
    ]


def test_accepted_names_its_types():
    accepted = Accepted('task', 'xml', 1)
    assert accepted.content_type('abiq') == 'application/vnd.abiq.task+xml; version=1'
    assert accepted.link_type('acme', 'user') == 'application/vnd.acme.user+xml'
    assert accepted.as_name('errors') == Accepted('errors', 'xml', 1)


@pytest.mark.parametrize(
    ('code', 'status'), [('406-NOT-ACCEPTABLE', 406), ('415-X', 415)]
)
def test_a_media_type_error_carries_its_status(code, status):
    error = MediaTypeError(code, 'why')
    assert (error.code, error.message, error.status, str(error)) == (
        code,
        'why',
        status,
        'why',
    )


def test_the_versions_oldest_first():
    assert VERSIONS == (1, 2)
