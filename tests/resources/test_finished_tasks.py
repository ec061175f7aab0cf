"""Finished tasks are answered from memory: the same answers, the same rules."""

from __future__ import annotations

import datetime as dt

import pytest

from abiq.db.models import Task
from abiq.db.models import utcnow
from tests.factories import make_tasks
from tests.support import basic

TASK_TYPES = [
    ('json', 2),
    ('xml', 2),
    ('json', 1),
    ('xml', 1),
]


@pytest.fixture
def finished(world):
    """A finished task of vera's, in acme, expiring tomorrow."""
    now = utcnow()
    (task_id,) = make_tasks(
        world.acme,
        world.vera,
        1,
        status='finished',
        external=False,
        finished_at=now,
        expires_at=now + dt.timedelta(days=1),
    )
    return task_id


def task_href(client, task_id: str) -> str:
    listing = client.get(client.get('/', status=200).link('finished'), status=200)
    (item,) = [i for i in listing.doc['collection'] if i['id'] == task_id]
    return next(link['href'] for link in item['links'] if link['rel'] == 'self')


def test_a_second_read_answers_exactly_as_the_first(api, finished):
    href = task_href(api, finished)
    for fmt, version in TASK_TYPES:
        accept = f'application/vnd.abiq.task+{fmt}; version={version}'
        first = api.get(href, accept=accept, status=200)
        again = api.get(href, accept=accept, status=200)
        assert again.media == first.media == ('task', fmt, version)
        assert again.body == first.body
        for header in ('ETag', 'Expires', 'Content-Type', 'Vary'):
            assert again.headers[header] == first.headers[header]
        assert again.headers['X-Request-Id'] != first.headers['X-Request-Id']


def test_each_base_url_has_its_own_answer(api, finished):
    href = task_href(api, finished)
    here = api.get(href, status=200)
    there = api.get(href, headers={'Host': 'abiq.example.org'}, status=200)
    assert here.link('self').startswith('http://localhost/')
    assert there.link('self').startswith('http://abiq.example.org/')


def test_another_tenant_still_gets_404(api, as_user, finished):
    href = task_href(api, finished)
    api.get(href, status=200)
    answer = as_user('bob').get(href, status=404)
    assert answer.codes == ['TASK-1']
    assert as_user('admin').get(href, status=200).doc['id'] == finished


def test_if_none_match_answers_304_from_memory_too(api, finished):
    href = task_href(api, finished)
    etag = api.get(href, status=200).headers['ETag']
    api.get(href, headers={'If-None-Match': etag}, status=304)
    assert api.get(href, headers={'If-None-Match': '"other"'}, status=200).doc


def test_deleting_the_tasks_user_takes_its_user_link_away(
    api, as_user, world, finished
):
    href = task_href(api, finished)
    assert api.get(href, status=200).has('user')
    admin = as_user('admin')
    vera = admin.get(api.get(href, status=200).link('user'), status=200)
    admin.delete(vera.link('edit'), status=204)
    assert not api.get(href, status=200).has('user')


def test_a_changed_password_closes_a_remembered_task_to_the_old_one(api, finished):
    href = task_href(api, finished)
    api.get(href, status=200)
    me = api.get(api.get('/', status=200).link('currentuser'), status=200)
    api.put(
        me.link('edit'),
        {'password': 'brand-new'},
        content_type='application/vnd.abiq.user+json',
        status=200,
    )
    api.get(href, status=401)
    api.as_user(basic('alice', 'brand-new')).get(href, status=200)


# -- a finished task's document as an item of a page of tasks ----------------


def _item(client, task_id: str) -> dict | None:
    page = client.get(client.get('/', status=200).link('tasks'), status=200)
    found = [item for item in page.doc['collection'] if item['id'] == task_id]
    return found[0] if found else None


def _rels(item: dict) -> set[str]:
    return {link['rel'] for link in item['links']}


def test_a_page_shows_a_finished_task_the_same_the_second_time(api, finished):
    first = _item(api, finished)
    assert first is not None and first['status'] == 'finished'
    assert _item(api, finished) == first
    alone = api.get(task_href(api, finished), status=200).doc
    # NOTE: a task read alone links its schema; an item leaves that to the page
    links = [link for link in alone['links'] if link['rel'] != 'describedby']
    assert {**alone, 'links': links} == first


def test_a_kept_item_is_shown_to_its_tenant_only(api, as_user, finished):
    assert _item(api, finished) is not None
    assert _item(as_user('bob'), finished) is None
    assert _item(as_user('admin'), finished) is not None


def test_a_kept_item_leaves_the_page_when_its_task_expires(api, finished):
    assert _item(api, finished) is not None
    Task.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        Task.id == finished
    ).execute()
    assert _item(api, finished) is None


def test_a_kept_item_loses_its_user_link_when_the_user_is_deleted(
    api, as_user, finished
):
    assert 'user' in _rels(_item(api, finished))
    admin = as_user('admin')
    vera = admin.get(api.get(task_href(api, finished), status=200).link('user'))
    admin.delete(vera.link('edit'), status=204)
    assert 'user' not in _rels(_item(api, finished))


def test_each_format_and_base_url_keeps_its_own_item(api, finished):
    json_item = _item(api, finished)
    here = api.get('/', status=200).link('tasks')
    xml = api.get(here, accept='application/vnd.abiq.tasks+xml', status=200)
    (xml_item,) = [i for i in xml.doc['collection'] if i['id'] == finished]
    assert {link['type'] for link in xml_item['links'] if 'type' in link} <= {
        link['type'].replace('+json', '+xml')
        for link in json_item['links']
        if 'type' in link
    }
    there = api.get(here, headers={'Host': 'abiq.example.org'}, status=200)
    (other,) = [i for i in there.doc['collection'] if i['id'] == finished]
    assert other['links'][0]['href'].startswith('http://abiq.example.org/')
