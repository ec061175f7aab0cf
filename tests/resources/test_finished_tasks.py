"""Finished tasks are answered from memory: the same answers, the same rules."""

from __future__ import annotations

import datetime as dt

import pytest

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
