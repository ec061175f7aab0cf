"""Paging parameters and page links on their own (API.md section 5): no
query runs, so no database."""

from __future__ import annotations

from urllib.parse import urlencode

import peewee
import pytest

from abiq.errors import ApiError
from abiq.limits import MAX_HAS
from abiq.paging import DEFAULT_LIMIT
from abiq.paging import CollectionSpec
from abiq.paging import Page
from abiq.paging import PageParams
from abiq.paging import page_links

MAX_PAGE = 100


class Thing(peewee.Model):
    """A model no database is bound to: only its fields are used."""

    name = peewee.CharField()
    size = peewee.IntegerField()


SPEC = CollectionSpec(
    sort_fields={'name': Thing.name, 'size': Thing.size},
    default_sort='name',
    text_fields=(Thing.name,),
    tie_breaker=Thing.id,
)


def _parse(query: str) -> PageParams:
    return PageParams.parse(query, SPEC, MAX_PAGE)


def _refusal(query: str) -> tuple[int, str, str]:
    with pytest.raises(ApiError) as caught:
        _parse(query)
    (item,) = caught.value.errors
    return caught.value.status, item.code, item.message


def test_the_defaults():
    assert _parse('') == PageParams(0, DEFAULT_LIMIT, None, 'name', True, ())


def test_every_parameter_read_and_the_query_kept():
    params = _parse('startwith=10&limit=5&has=We%20b&by=size&asc=FALSE&status=x')
    assert (params.startwith, params.limit, params.has, params.by, params.asc) == (
        10,
        5,
        'We b',
        'size',
        False,
    )
    assert params.query == (
        ('startwith', '10'),
        ('limit', '5'),
        ('has', 'We b'),
        ('by', 'size'),
        ('asc', 'FALSE'),
        ('status', 'x'),
    )


def test_limit_zero_means_the_largest_page_and_an_empty_has_none():
    params = _parse('limit=0&has=')
    assert (params.limit, params.has) == (MAX_PAGE, None)
    assert _parse(f'limit={MAX_PAGE}').limit == MAX_PAGE


def test_the_last_value_of_a_repeated_parameter_counts():
    assert _parse('limit=3&limit=4').limit == 4


@pytest.mark.parametrize(
    ('query', 'code', 'message'),
    [
        ('startwith=-1', 'QUERY-1', 'startwith must be 0 or greater'),
        ('startwith=x', 'QUERY-1', "startwith must be a whole number, not 'x'"),
        ('startwith=', 'QUERY-1', "startwith must be a whole number, not ''"),
        ('limit=1.5', 'QUERY-2', "limit must be a whole number, not '1.5'"),
        ('limit=-1', 'QUERY-2', 'limit must be between 1 and 100 (0 means 100)'),
        ('limit=101', 'QUERY-2', 'limit must be between 1 and 100 (0 means 100)'),
        ('by=id', 'QUERY-0', "Invalid by parameter 'id'; use one of name, size"),
        ('asc=yes', 'QUERY-3', 'asc must be true or false'),
        (
            'has=' + 'a' * (MAX_HAS + 1),
            'QUERY-5',
            f'has must be at most {MAX_HAS} characters, not {MAX_HAS + 1}',
        ),
    ],
)
def test_a_bad_value_is_400_with_its_code(query, code, message):
    assert _refusal(query) == (400, code, message)


def test_a_has_of_the_largest_size_is_read():
    assert _parse('has=' + 'a' * MAX_HAS).has == 'a' * MAX_HAS


def test_a_bad_value_is_quoted_at_most_200_characters():
    status, code, message = _refusal('startwith=' + '9x' * 500)
    assert (status, code) == (400, 'QUERY-1')
    assert '\u2026' in message and len(message) < 300


def _links(query: str, total: int) -> dict[str, str]:
    page = Page([], total, _parse(query))
    links = page_links(page, lambda pairs: '/things?' + urlencode(pairs))
    assert len({link['rel'] for link in links}) == len(links)
    return {link['rel']: link['href'].removeprefix('/things?') for link in links}


def test_the_first_of_several_pages():
    assert _links('limit=10', 35) == {
        'self': 'startwith=0&limit=10',
        'first': 'startwith=0&limit=10',
        'next': 'startwith=10&limit=10',
        'last': 'startwith=30&limit=10',
    }


def test_a_middle_page_keeps_the_other_parameters_in_every_link():
    links = _links('by=size&startwith=15&limit=10&has=a', 35)
    assert links == {
        'self': 'by=size&has=a&startwith=15&limit=10',
        'first': 'by=size&has=a&startwith=0&limit=10',
        'previous': 'by=size&has=a&startwith=5&limit=10',
        'next': 'by=size&has=a&startwith=25&limit=10',
        'last': 'by=size&has=a&startwith=30&limit=10',
    }


def test_the_last_page_and_beyond():
    assert 'next' not in _links('startwith=30&limit=10', 35)
    beyond = _links('startwith=90&limit=10', 35)
    assert beyond['previous'] == 'startwith=80&limit=10'
    assert beyond['last'] == 'startwith=30&limit=10'


@pytest.mark.parametrize(('total', 'last'), [(0, 0), (1, 0), (10, 0), (11, 10)])
def test_the_last_page_starts_at_a_multiple_of_the_limit(total, last):
    links = _links('limit=10', total)
    assert links['last'] == f'startwith={last}&limit=10'
    assert ('next' in links) is (total > 10)


def test_previous_never_goes_below_zero():
    assert _links('startwith=3&limit=10', 20)['previous'] == 'startwith=0&limit=10'
