"""The RFC 8288 Link header: a representation's own links, and its items."""

from __future__ import annotations

import httpx
import pytest
import requests

from abiq.linkheader import MAX_LINK_HEADER
from tests.domain_support import make_vapp
from tests.factories import make_tasks


def parsed(answer) -> list[dict[str, str]]:
    """Parse a Link header as requests does (every link, in order)."""
    return requests.utils.parse_header_links(answer.headers['Link'])


def triples(links, url: str = 'href') -> list[tuple[str, str, str | None]]:
    """Return (rel, href, type) of each link; a type without parameters.

    NOTE: requests and httpx split a link at every ``;``, even inside a
    quoted ``type`` (``...openapi+json;version=3.1``); the parameter is lost
    by the parser, not by abiq.
    """
    return [
        (lk['rel'], lk[url], lk['type'].split(';')[0] if 'type' in lk else None)
        for lk in links
    ]


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_root_carries_its_links_as_a_link_header(api, world, fmt):
    root = api.get('/', accept=f'application/vnd.abiq.api+{fmt}', status=200)
    assert triples(parsed(root), 'url') == triples(root.doc['links'])
    # NOTE: httpx's parser, as a generic client reads it: by rel.
    links = httpx.Response(200, headers={'Link': root.headers['Link']}).links
    assert links['tasks']['url'] == root.link('tasks')
    assert links['tasks']['type'] == f'application/vnd.abiq.tasks+{fmt}'


def test_a_page_adds_an_item_link_per_member(api, world):
    make_tasks(world.acme, world.alice, 7)
    page = api.get('/tasks?limit=5&startwith=1', status=200)
    links = parsed(page)
    own = [link for link in links if link['rel'] != 'item']
    items = [link for link in links if link['rel'] == 'item']
    assert triples(own, 'url') == triples(page.doc['links'])
    assert {'first', 'previous', 'next', 'last', 'self'} <= {lk['rel'] for lk in own}
    members = [
        next(lk for lk in item['links'] if lk['rel'] == 'self')
        for item in page.doc['collection']
    ]
    assert [(lk['url'], lk['type']) for lk in items] == [
        (lk['href'], lk['type']) for lk in members
    ]


def test_item_links_of_a_large_page_are_left_out_not_navigation(api, world):
    make_tasks(world.acme, world.alice, 120)
    page = api.get('/tasks?limit=120', status=200)
    header = page.headers['Link']
    assert len(header) <= MAX_LINK_HEADER
    rels = [link['rel'] for link in parsed(page)]
    assert 'item' not in rels
    assert {'self', 'first', 'last', 'describedby'} <= set(rels)


def test_embedded_links_are_not_repeated(api, world):
    make_tasks(world.acme, world.alice, 3)
    page = api.get('/tasks', status=200)
    embedded = sum(len(task['links']) for task in page.doc['collection'])
    assert embedded > 3
    assert len(parsed(page)) == len(page.doc['links']) + 3


@pytest.mark.parametrize(
    ('name', 'expected'),
    [
        ('say "hi" \\ there', 'title="say \\"hi\\" \\\\ there"'),
        ('café', "title*=UTF-8''caf%C3%A9"),
    ],
)
def test_titles_are_quoted_or_encoded(api, world, name, expected):
    vapp = make_vapp(api, '', [], name)  # no machines: no template needed
    assert expected in vapp.headers['Link']
    links = httpx.Response(200, headers={'Link': vapp.headers['Link']}).links
    assert links['self']['url'] == vapp.link('self')
    assert links['virtualmachines']['url'] == vapp.link('virtualmachines')


def test_errors_and_head_carry_it_too(api, world):
    head = api.request('HEAD', '/', status=200)
    assert 'rel="tasks"' in head.headers['Link']
    missing = api.get('/tasks/nope', status=404)
    assert 'rel="describedby"' in missing.headers['Link']
