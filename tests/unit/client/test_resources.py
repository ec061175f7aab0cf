"""Resources as the client hands them back: fields, links, pages."""

from __future__ import annotations

from typing import Any

import pytest

from abiq.client.codec import MediaType
from abiq.client.errors import NoSuchLink
from abiq.client.resources import Collection
from abiq.client.resources import Link
from abiq.client.resources import Resource
from tests.unit.client.replies import reply

PAGE = 'http://localhost/api/things'


class PagingClient:
    """Answers GETs of page links from a dict, records every call."""

    def __init__(self, pages: dict[str, dict[str, Any]]) -> None:
        self.pages = pages
        self.calls: list[tuple] = []

    def get(self, link: Link) -> Resource:
        self.calls.append(('GET', link.href))
        return Collection(self, reply(self.pages[link.href], name='things'))

    def item(self, collection: Collection, doc: dict[str, Any]) -> Resource:
        return Resource(self, reply(doc, name='thing'))

    def post(self, link: Link, body: Any, **kwargs: Any) -> str:
        self.calls.append(('POST', link.href, body, kwargs))
        return 'posted'

    def put(self, link: Link, body: Any, **kwargs: Any) -> str:
        self.calls.append(('PUT', link.href, body, kwargs))
        return 'put'

    def delete(self, link: Link, **kwargs: Any) -> None:
        self.calls.append(('DELETE', link.href, kwargs))


def _vm(client: Any = None) -> Resource:
    doc = {
        'links': [
            {
                'rel': 'self',
                'href': '/vms/1',
                'type': 'application/vnd.abiq.virtualmachine+json',
            },
            {'rel': 'edit', 'href': '/vms/1'},
            {'rel': 'deploy', 'href': '/vms/1/deploy', 'title': 'Deploy'},
            {'rel': 'deploy', 'href': '/second'},
        ],
        'name': 'web',
        'ip': None,
    }
    return Resource(client, reply(doc, name='virtualmachine', ETag='"e1"'))


def test_fields_read_like_a_dict_and_links_stay_apart():
    vm = _vm()
    assert (vm['name'], vm.get('ip', 'x'), vm.get('cpu', 4)) == ('web', None, 4)
    assert vm.data == {'name': 'web', 'ip': None}
    with pytest.raises(KeyError):
        vm['cpu']
    assert repr(vm) == '<virtualmachine web>'
    assert vm.media == MediaType('abiq', 'virtualmachine', 'json', 2)


def test_links_by_rel_the_first_one_counts():
    vm = _vm()
    assert vm.href == '/vms/1'
    assert vm.link('deploy') == Link('deploy', '/vms/1/deploy', None, 'Deploy')
    assert vm.has('edit') and not vm.has('undeploy')
    assert vm.link_or_none('undeploy') is None
    assert vm.link('self').media == MediaType('abiq', 'virtualmachine', 'json', None)
    with pytest.raises(NoSuchLink) as caught:
        vm.link('undeploy')
    assert caught.value.available == ['self', 'edit', 'deploy', 'deploy']


def test_writes_send_the_etag_the_resource_was_read_with():
    client = PagingClient({})
    vm = _vm(client)
    assert vm.act('deploy', {'force': True}, body_type='sleep') == 'posted'
    assert vm.edit(cpu=2) == 'put'
    assert vm.delete() is None
    assert client.calls == [
        (
            'POST',
            '/vms/1/deploy',
            {'force': True},
            {'body_type': 'sleep', 'etag': '"e1"'},
        ),
        ('PUT', '/vms/1', {'cpu': 2}, {'etag': '"e1"'}),
        ('DELETE', '/vms/1', {'etag': '"e1"'}),
    ]


def _page(start: int, total: int, more: bool) -> dict[str, Any]:
    links = [
        {'rel': 'self', 'href': f'{PAGE}?{start}'},
        {'rel': 'create', 'href': PAGE},
    ]
    if more:
        links.append({'rel': 'next', 'href': f'{PAGE}?{start + 2}'})
    items = [
        {'links': [], 'name': f'n{n}', 'id': n}
        for n in range(start, min(start + 2, total))
    ]
    return {'links': links, 'totalSize': total, 'collection': items}


@pytest.fixture
def things() -> Collection:
    pages = {f'{PAGE}?{n}': _page(n, 5, n + 2 < 5) for n in (0, 2, 4)}
    return PagingClient(pages).get(Link('self', f'{PAGE}?0'))


def test_iterating_a_collection_walks_every_page_by_next(things):
    assert (len(things), things.total) == (5, 5)
    assert [item['name'] for item in things.items] == ['n0', 'n1']
    assert [item['id'] for item in things] == [0, 1, 2, 3, 4]
    assert things.client.calls == [('GET', f'{PAGE}?{n}') for n in (0, 2, 4)]


def test_find_stops_at_the_first_match(things):
    assert things.find(name='n2', id=2)['id'] == 2
    assert things.client.calls == [('GET', f'{PAGE}?0'), ('GET', f'{PAGE}?2')]
    with pytest.raises(LookupError, match="no item with {'name': 'zz'} in "):
        things.find(name='zz')


def test_create_posts_fields_and_links_by_rel(things):
    template = Resource(None, reply({'links': [{'rel': 'self', 'href': '/t/1'}]}))
    things.create({'name': 'new'}, links={'template': template, 'vapp': '/v/2'})
    assert things.client.calls[-1] == (
        'POST',
        PAGE,
        {
            'name': 'new',
            'links': [
                {'rel': 'template', 'href': '/t/1'},
                {'rel': 'vapp', 'href': '/v/2'},
            ],
        },
        {},
    )
