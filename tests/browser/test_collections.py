"""A collection is a table with its total, its paging links, sortable
columns and a search form; the tasks views are links (issue 15)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from tests.browser.support import DEMO
from tests.browser.support import with_query


@pytest.fixture(scope='module')
def appliances(served, accounts) -> tuple[str, str]:
    """Three appliances with a common word in their names: (word, the URL
    of their collection)."""
    demo = accounts.demo
    collection = demo.follow(demo.get(served.root), 'virtualappliances')
    word = uuid.uuid4().hex[:8]
    for letter in 'cab':
        demo.create(collection, {'name': f'{letter} {word}'})
    return word, collection.link('self')


def test_the_search_form_filters_the_table(browser, appliances, accounts):
    word, collection = appliances
    browser.use_basic(*DEMO)
    browser.open(collection)

    browser.find('form[role=search] #search').send_keys(word)
    browser.submit('form[role=search]')

    shown = browser.driver.current_url
    assert parse_qs(urlsplit(shown).query)['has'] == [word]
    assert browser.find('#total-size').text == '3'
    assert names(browser) == api_names(accounts, shown)
    assert sorted(names(browser)) == [f'{x} {word}' for x in 'abc']


def test_a_column_header_sorts_the_table(browser, appliances, accounts):
    word, collection = appliances
    browser.use_basic(*DEMO)
    browser.open(with_query(collection, has=word))

    for by in ('state', 'name'):
        sort = browser.find(f'table#collection thead a[href*="by={by}"]')
        browser.navigating(sort.click)
        shown = browser.driver.current_url
        query = parse_qs(urlsplit(shown).query)
        assert query['by'] == [by] and query['has'] == [word], query
        assert names(browser) == api_names(accounts, shown)
    assert names(browser) in (
        [f'{x} {word}' for x in 'abc'],
        [f'{x} {word}' for x in 'cba'],
    )


def test_the_paging_links_walk_the_collection(browser, appliances, accounts):
    word, collection = appliances
    browser.use_basic(*DEMO)
    browser.open(with_query(collection, has=word, limit='2'))

    assert {'first', 'next', 'last'} <= browser.rels()
    assert 'previous' not in browser.rels()
    first = names(browser)
    browser.follow('next')
    assert {'first', 'previous', 'last'} <= browser.rels()
    assert 'next' not in browser.rels()
    assert first + names(browser) == api_names(
        accounts, with_query(collection, has=word)
    )


def test_the_tasks_views_are_links(browser, served, accounts):
    browser.use_basic(*DEMO)
    browser.open(served.root)
    browser.follow('tasks')

    views = {'pending', 'running', 'finished', 'failed', 'cancelled'}
    assert views <= browser.rels()
    browser.follow('pending')
    listed = accounts.demo.get(browser.driver.current_url).doc
    assert browser.find('#total-size').text == str(listed['totalSize'])
    assert all(item['status'] == 'pending' for item in listed['collection'])


def api_names(accounts, url: str) -> list[str]:
    """Return the names of a collection page as the API lists them."""
    return [item['name'] for item in accounts.demo.get(url).doc['collection']]


def names(browser) -> list[str]:
    """Return the names the table shows, in order (its "name" column)."""
    headers = [th.text for th in browser.find_all('table#collection thead th')]
    column = headers.index('name') + 1
    cells = browser.find_all(f'table#collection tbody tr > :nth-child({column})')
    return [cell.text for cell in cells]
