"""The tasks collection and task resources, reached through links only."""

from __future__ import annotations

import datetime as dt

import pytest

from abiq.db.models import Task
from abiq.db.models import utcnow
from tests.factories import make_tasks

JSON2 = 'application/vnd.abiq.task+json; version=2'


def tasks_url(api) -> str:
    return api.get('/', status=200).link('tasks')


def create(api, body: dict, status: int = 201):
    create_href = api.get(tasks_url(api), status=200).link('create')
    return api.post(create_href, body, content_type=JSON2, status=status)


def test_walking_next_visits_every_task_once(api, world):
    ids = make_tasks(world.acme, world.alice, 1000)
    page = api.get(tasks_url(api) + '?limit=7&type=', status=200)
    seen, pages = [], 0
    while True:
        pages += 1
        assert page.doc['totalSize'] == 1000
        assert len(page.doc['collection']) <= 7
        assert 'type=' in page.link('self')
        seen += [item['id'] for item in page.doc['collection']]
        if not page.has('next'):
            break
        page = api.get(page.link('next'), status=200)
    assert pages == 143
    assert len(seen) == 1000 and set(seen) == set(ids)
    assert page.link('last') == page.link('self')
    assert 'startwith=994' in page.link('last')


def test_walking_previous_from_last_visits_every_task_once(api, world):
    make_tasks(world.acme, world.alice, 50)
    first = api.get(tasks_url(api) + '?limit=7&by=type&asc=false', status=200)
    assert not first.has('previous')
    page = api.get(first.link('last'), status=200)
    seen = []
    while True:
        seen = [item['id'] for item in page.doc['collection']] + seen
        for rel in ('self', 'first', 'last'):
            assert 'by=type' in page.link(rel) and 'asc=false' in page.link(rel)
        if not page.has('previous'):
            break
        page = api.get(page.link('previous'), status=200)
    types = [t for t in seen]
    assert len(set(types)) == 50
    listed = api.get(first.link('self').replace('limit=7', 'limit=0'), status=200)
    assert [item['id'] for item in listed.doc['collection']] == seen
    assert [item['type'] for item in listed.doc['collection']] == sorted(
        (item['type'] for item in listed.doc['collection']), reverse=True
    )


@pytest.mark.parametrize(
    ('query', 'links'),
    [
        ('startwith=0&limit=10', {'first': 0, 'next': 10, 'last': 20}),
        ('startwith=10&limit=10', {'first': 0, 'previous': 0, 'next': 20, 'last': 20}),
        ('startwith=3&limit=10', {'first': 0, 'previous': 0, 'next': 13, 'last': 20}),
        ('startwith=20&limit=10', {'first': 0, 'previous': 10, 'last': 20}),
        ('startwith=40&limit=10', {'first': 0, 'previous': 30, 'last': 20}),
    ],
)
def test_paging_link_arithmetic(api, world, query, links):
    make_tasks(world.acme, world.alice, 25)
    page = api.get(tasks_url(api) + '?' + query, status=200)
    for rel in ('first', 'previous', 'next', 'last'):
        if rel in links:
            assert f'startwith={links[rel]}&' in page.link(rel) + '&'
        else:
            assert not page.has(rel), rel


def test_empty_collection_links(api, world):
    page = api.get(tasks_url(api), status=200)
    assert page.doc['totalSize'] == 0 and page.doc['collection'] == []
    assert 'startwith=0' in page.link('last') and not page.has('next')


@pytest.mark.parametrize(
    ('query', 'code'),
    [
        ('startwith=-1', 'QUERY-1'),
        ('startwith=abc', 'QUERY-1'),
        ('limit=-5', 'QUERY-2'),
        ('limit=1001', 'QUERY-2'),
        ('limit=ten', 'QUERY-2'),
        ('by=colour', 'QUERY-0'),
        ('asc=maybe', 'QUERY-3'),
        ('status=sleeping', 'QUERY-4'),
    ],
)
def test_bad_paging_values(api, world, query, code):
    answer = api.get(tasks_url(api) + '?' + query, status=400)
    assert answer.codes == [code]


def test_limit_zero_means_the_maximum(api, world):
    make_tasks(world.acme, world.alice, 30)
    page = api.get(tasks_url(api) + '?limit=0', status=200)
    assert len(page.doc['collection']) == 30 and 'limit=1000' in page.link('self')


def test_has_searches_type_and_description_case_insensitively(api, world):
    make_tasks(world.acme, world.alice, 9)
    assert api.get(tasks_url(api) + '?has=backup', status=200).doc['totalSize'] == 3
    assert api.get(tasks_url(api) + '?has=NUMBER 7', status=200).doc['totalSize'] == 1
    assert api.get(tasks_url(api) + '?has=%25', status=200).doc['totalSize'] == 0


def test_status_and_type_filters(api, world):
    make_tasks(world.acme, world.alice, 4, status='failed')
    make_tasks(world.acme, world.alice, 2, status='finished', type='SYNC')
    root = api.get('/', status=200)
    assert api.get(root.link('failed'), status=200).doc['totalSize'] == 4
    url = tasks_url(api)
    assert api.get(url + '?status=error', status=200).doc['totalSize'] == 4
    both = api.get(url + '?status=Done&status=aborted', status=200)
    assert both.doc['totalSize'] == 6
    assert api.get(url + '?type=SYNC&status=finished', status=200).doc['totalSize'] == 2
    assert 'status=Done' in both.link('next' if both.has('next') else 'last')


def test_task_get_has_etag_and_if_none_match(api, world):
    task = create(api, {'type': 'BACKUP'})
    self_href = task.link('self')
    first = api.get(self_href, status=200)
    etag = first.headers['ETag']
    assert first.headers['Retry-After'] == '1'
    assert api.get(self_href, headers={'If-None-Match': etag}, status=304).body == b''
    api.put(task.link('edit'), {'progress': 50}, content_type=JSON2, status=200)
    changed = api.get(self_href, headers={'If-None-Match': etag}, status=200)
    assert changed.headers['ETag'] != etag
    xml = api.get(self_href, accept='application/xml', status=200)
    assert xml.headers['ETag'] != changed.headers['ETag']


def test_finished_task_with_result_answers_303(api, world):
    task = create(api, {'type': 'BUILD'})
    Task.update(
        status='finished',
        result_kind='enterprise',
        result_id=str(world.acme.id),
        external=False,
        finished_at=utcnow(),
        expires_at=utcnow() + dt.timedelta(hours=1),
    ).where(Task.id == task.doc['id']).execute()
    answer = api.get(task.link('self'), status=303)
    assert answer.headers['Location'] == answer.link('result')
    assert answer.headers['Content-Location'] == task.link('self')
    assert answer.doc['status'] == 'finished' and 'Expires' in answer.headers
    result = api.get(answer.headers['Location'], status=200)
    assert result.doc['name'] == 'acme'


def test_terminal_task_without_result_has_expires(api, world):
    task = create(api, {'type': 'BACKUP', 'status': 'done'})
    assert task.doc['status'] == 'finished' and task.doc['progress'] == 100
    answer = api.get(task.link('self'), status=200)
    assert 'Expires' in answer.headers and 'Retry-After' not in answer.headers
    assert answer.doc['expiresAt'] is not None
    assert not answer.has('edit') and not answer.has('cancel')


def test_expired_task_is_gone(api, world):
    task = create(api, {'type': 'BACKUP', 'status': 'failed'})
    Task.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        Task.id == task.doc['id']
    ).execute()
    assert api.get(task.link('self'), status=404).codes == ['TASK-1']
    assert api.get(tasks_url(api), status=200).doc['totalSize'] == 0


def test_external_task_lifecycle(api, world):
    task = create(
        api,
        {'type': 'IMPORT', 'description': 'from VirtShell', 'progress': 5, 'log': 'a'},
    )
    assert task.doc['attempt'] == 1 and task.doc['status'] == 'pending'
    assert task.headers['Location'] == task.link('self')
    edit = task.link('edit')
    running = api.put(
        edit, {'status': 'started', 'log': 'a\nb'}, content_type=JSON2, status=200
    )
    assert running.doc['status'] == 'running' and running.doc['startedAt']
    assert (
        running.doc['description'] == 'from VirtShell' and running.doc['progress'] == 5
    )
    full = dict(running.doc, progress=60)
    again = api.put(edit, full, content_type=JSON2, status=200)
    assert again.doc['progress'] == 60 and again.doc['log'] == 'a\nb'
    done = api.put(edit, {'status': 'success'}, content_type=JSON2, status=200)
    assert done.doc['status'] == 'finished' and done.doc['finishedAt']
    late = api.put(edit, {'progress': 1}, content_type=JSON2, status=409)
    assert late.codes == ['TASK-2']
    assert api.delete(task.link('self'), status=409).codes == ['TASK-2']


def test_external_task_with_target_and_jobs_in_xml(api, world):
    enterprise = api.get('/', status=200).link('enterprise')
    body = (
        f'<task><link rel="target" href="{enterprise}"/><type>SYNC</type>'
        '<status>queued</status><jobs><job><type>A</type><status>Done</status></job>'
        '<job><type>B</type></job></jobs></task>'
    )
    create_href = api.get(tasks_url(api), status=200).link('create')
    task = api.post(
        create_href,
        body,
        content_type='application/vnd.abiq.task+xml',
        accept='application/vnd.abiq.task+xml',
        status=201,
    )
    assert task.link('target') == enterprise
    assert [job['status'] for job in task.doc['jobs']] == ['finished', 'pending']
    targeted = api.get(api.get(enterprise, status=200).link('tasks'), status=200)
    assert [item['id'] for item in targeted.doc['collection']] == [task.doc['id']]


def test_whole_numbers_written_with_a_fraction_are_integers(api, as_user, world):
    # found by fuzzing: JSON Schema's integer admits 1.0, which the server
    # then counted with (a SLEEP of 1.0 jobs was a 500)
    task = create(api, {'type': 'IMPORT', 'progress': 40.0})
    assert task.doc['progress'] == 40
    xml = api.get(task.link('self'), accept='application/xml', status=200)
    assert xml.doc['progress'] == 40 and b'<progress>40</progress>' in xml.body
    admin = as_user('admin')
    sleep = admin.post(
        admin.get('/', status=200).link('diagnostics'),
        {'jobs': 2.0, 'seconds': 0.0},
        content_type='application/vnd.abiq.sleep+json',
        status=202,
    )
    assert [job['id'] for job in sleep.doc['jobs']] == ['1', '2']


def test_target_must_be_an_entity_of_this_api(api, world):
    body = {'type': 'X', 'links': [{'rel': 'target', 'href': 'http://evil/api/x/1'}]}
    assert create(api, body, status=400).codes == ['400-BAD-REQUEST']


def test_cancel_pending_external_task(api, world):
    task = create(api, {'type': 'BACKUP'})
    cancelled = api.post(task.link('cancel'), status=200)
    assert cancelled.doc['status'] == 'cancelled' and not cancelled.has('cancel')
    assert not cancelled.doc['cancellable'] and not cancelled.doc['retryable']
    v1 = api.get(
        task.link('self'),
        accept='application/vnd.abiq.task+json; version=1',
        status=200,
    )
    assert v1.doc['status'] == 'failed' and v1.doc['error']['code'] == 'TASK-CANCELLED'


def test_cancel_by_delete(api, world):
    task = create(api, {'type': 'BACKUP', 'status': 'running'})
    assert api.delete(task.link('self'), status=200).doc['status'] == 'cancelled'
    assert api.post(task.link('cancel'), status=409).codes == ['TASK-2']


def test_server_run_task_rejects_put(api, world):
    task = create(api, {'type': 'BACKUP'})
    Task.update(external=False).where(Task.id == task.doc['id']).execute()
    fresh = api.get(task.link('self'), status=200)
    assert not fresh.has('edit')
    answer = api.put(task.link('self'), {'progress': 3}, content_type=JSON2, status=409)
    assert answer.codes == ['TASK-3']


def test_v1_task_fields(api, world):
    task = create(api, {'type': 'BACKUP', 'status': 'in progress'})
    v1 = api.get(
        task.link('self'), accept='application/vnd.abiq.task+xml; version=1', status=200
    )
    assert v1.doc['status'] == 'pending'
    assert set(v1.doc) == {'links', 'id', 'type', 'status', 'expiresAt'}
    assert {link['rel'] for link in v1.doc['links']} == {
        'self',
        'parent',
        'cancel',
        'describedby',
    }


@pytest.mark.parametrize('by', ['createdAt', 'updatedAt', 'status', 'type', 'id'])
def test_every_page_is_its_slice_of_the_whole_order(api, world, by):
    # NOTE: pages in the back half are read from the other end in reverse;
    # each must still be exactly its slice of the one order.
    make_tasks(world.acme, world.alice, 9, status='finished')
    make_tasks(world.acme, world.alice, 4, status='failed')
    for asc in ('true', 'false'):
        whole = api.get(f'{tasks_url(api)}?by={by}&asc={asc}&limit=0', status=200)
        order = [item['id'] for item in whole.doc['collection']]
        assert len(order) == 13
        for limit in (1, 4):
            first = whole.link('first').replace('limit=1000', f'limit={limit}')
            for start in range(15):
                url = first.replace('startwith=0', f'startwith={start}')
                page = api.get(url, status=200)
                ids = [item['id'] for item in page.doc['collection']]
                assert ids == order[start : start + limit], (asc, limit, start)
