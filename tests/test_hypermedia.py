"""A client that knows only the root reaches every task, page and view."""

from __future__ import annotations

import pytest

from tests.factories import make_tasks

STATUSES = ('pending', 'running', 'finished', 'failed', 'cancelled')


@pytest.mark.parametrize('fmt', ['json', 'xml'])
@pytest.mark.parametrize('version', [1, 2])
def test_follow_rels_from_root_to_every_task(api, world, fmt, version):
    ids = set()
    for status in STATUSES:
        ids |= set(make_tasks(world.acme, world.alice, 6, status=status))
    make_tasks(world.other, world.bob, 3)  # another tenant: never reached

    def accept(name: str) -> str:
        return f'application/vnd.abiq.{name}+{fmt}; version={version}'

    root = api.get('/', accept=accept('api'), status=200)
    assert root.media == ('api', fmt, version)
    page = api.get(root.link('tasks'), accept=accept('tasks'), status=200)
    seen = []
    while True:
        assert page.media == ('tasks', fmt, version)
        for item in page.doc['collection']:
            task = api.get(_self(item), accept=accept('task'), status=200)
            assert task.media == ('task', fmt, version)
            assert task.doc['id'] == item['id']
            seen.append(item['id'])
        if not page.has('next'):
            break
        page = api.get(page.link('next'), accept=accept('tasks'), status=200)
    assert sorted(seen) == sorted(ids)

    for status in STATUSES:
        view = api.get(page.link(status), accept=accept('tasks'), status=200)
        assert view.doc['totalSize'] == 6
        if version == 2:
            assert {item['status'] for item in view.doc['collection']} == {status}


def test_root_links(api, as_user, world):
    root = api.get('/', status=200)
    for rel in ('self', 'tasks', 'currentuser', 'describedby', 'enterprise'):
        assert root.has(rel), rel
    assert not root.has('enterprises')
    me = api.get(root.link('currentuser'), status=200)
    assert me.doc['name'] == 'alice'
    admin_root = as_user('admin').get('/', status=200)
    assert admin_root.has('enterprises')
    assert root.doc['apiVersions'] == [1, 2]


def test_every_href_is_absolute_and_typed_in_the_response_format(api, world):
    make_tasks(world.acme, world.alice, 2)
    root = api.get('/', accept='application/xml', status=200)
    tasks = api.get(root.link('tasks'), accept='application/xml', status=200)
    links = tasks.doc['links'] + tasks.doc['collection'][0]['links']
    for link in links:
        assert link['href'].startswith('http://localhost/api/')
        if link['rel'] != 'describedby':
            assert link['type'].startswith('application/vnd.abiq.')
            assert link['type'].endswith('+xml')


def test_describedby_schema_is_served(api, world):
    root = api.get('/', status=200)
    schema = api.get(root.link('describedby'), status=200)
    assert schema.headers['Content-Type'] == 'application/schema+json'
    xml_root = api.get('/', accept='text/xml', status=200)
    xsd = api.as_user(None).get(xml_root.link('describedby'), status=200)
    assert xsd.body.startswith(b'<?xml') and b'xs:schema' in xsd.body


def _self(item: dict) -> str:
    return next(link['href'] for link in item['links'] if link['rel'] == 'self')


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_head_answers_like_get_without_a_body(api, world, fmt):
    make_tasks(world.acme, world.alice, 2)
    accept = f'application/{fmt}'
    root = api.get('/', accept=accept, status=200)
    tasks = api.get(root.link('tasks'), accept=accept, status=200)
    task_url = tasks.doc['collection'][0]['links'][0]['href']
    for url in (root.link('self'), tasks.link('self'), task_url):
        got = api.get(url, accept=accept, status=200)
        head = api.request('HEAD', url, accept=accept, status=200)
        assert head.body == b''
        for header in ('Content-Type', 'Content-Length', 'Vary', 'ETag'):
            assert head.headers.get(header) == got.headers.get(header), header
    anonymous = api.as_user(None).request('HEAD', root.link('self'))
    assert anonymous.status == 401
    assert anonymous.body == b''
