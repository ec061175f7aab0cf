"""Server-run tasks through links: 202, polling, 303, cancel, retry, expiry,
long polling."""

from __future__ import annotations

import threading
import time

import pytest

from abiq.db.models import Task
from abiq.db.models import TaskJob
from abiq.tasks.registry import JobSpec
from tests.conftest import make_app
from tests.engine_support import PRODUCE
from tests.engine_support import eventually
from tests.engine_support import running_workers
from tests.support import Api
from tests.support import basic

SLEEP_TYPE = 'application/vnd.abiq.sleep+json'


@pytest.fixture
def admin(api, as_user):
    return as_user('admin')


@pytest.fixture
def engine(app):
    app.services.engine.register(PRODUCE)
    return app.services.engine


def start_sleep(admin: Api, body: dict, accept: str | None = None, **kwargs):
    diagnostics = admin.get('/', status=200).link('diagnostics')
    return admin.post(
        diagnostics, body, content_type=SLEEP_TYPE, accept=accept, **kwargs
    )


def poll_until_terminal(client: Api, href: str, accept: str | None = None):
    def terminal():
        answer = client.get(href, accept=accept)
        return answer if answer.doc['status'] in ('finished', 'failed') else None

    return eventually(terminal)


@pytest.mark.parametrize('fmt', ['json', 'xml'])
@pytest.mark.parametrize('version', [1, 2])
def test_sleep_task_accepted_polled_and_finished(admin, engine, fmt, version):
    accept = f'application/vnd.abiq.task+{fmt}; version={version}'
    started = start_sleep(admin, {'jobs': 3, 'seconds': 0}, accept=accept, status=202)
    assert started.media == ('task', fmt, version)
    assert started.doc['status'] == 'pending'
    href = started.link('self')
    assert started.headers['Location'] == href == started.headers['Content-Location']
    assert started.headers['Retry-After'] == '1'
    assert Task.get_by_id(started.doc['id']).status == 'pending'  # durable at 202
    with running_workers(engine):
        done = poll_until_terminal(admin, href, accept)
    assert done.status == 200 and done.doc['status'] == 'finished'
    assert 'Expires' in done.headers and done.doc['expiresAt']
    if version == 2:
        assert done.doc['progress'] == 100 and done.doc['type'] == 'SLEEP'
        assert [job['status'] for job in done.doc['jobs']] == ['finished'] * 3
        assert not done.has('cancel') and not done.has('retry')


def test_finished_task_with_result_redirects(api, world, engine):
    task = engine.submit(
        'PRODUCE',
        enterprise_id=world.acme.id,
        user_id=world.alice.id,
        jobs=[JobSpec('STEP')] * 2,
        params={'enterprise': world.acme.id},
    )
    listed = api.get(api.get('/', status=200).link('pending'), status=200)
    href = listed.doc['collection'][0]['links'][0]['href']
    assert listed.doc['collection'][0]['id'] == task.id
    with running_workers(engine):
        answer = eventually(lambda: (a := api.get(href)).status == 303 and a)
    assert answer.headers['Location'] == answer.link('result')
    assert answer.headers['Content-Location'] == href
    assert api.get(answer.headers['Location'], status=200).doc['name'] == 'acme'
    assert 'job 2 ran' in answer.doc['log']


def test_cancel_pending_task_never_runs(admin, engine):
    started = start_sleep(admin, {'jobs': 2}, status=202)
    cancelled = admin.post(started.link('cancel'), status=200)
    assert cancelled.doc['status'] == 'cancelled'
    assert cancelled.has('retry') and cancelled.doc['retryable']
    with running_workers(engine):
        other = start_sleep(admin, {'jobs': 1}, status=202)
        poll_until_terminal(admin, other.link('self'))
    again = admin.get(started.link('self'), status=200)
    assert again.doc['status'] == 'cancelled'
    assert {job['status'] for job in again.doc['jobs']} == {'cancelled'}
    assert all(
        job.runs == 0
        for job in TaskJob.select().where(TaskJob.task == started.doc['id'])
    )


def test_cancel_running_task_stops_at_a_job_boundary(admin, engine):
    started = start_sleep(admin, {'jobs': 5, 'seconds': 0.5}, status=202)
    href = started.link('self')
    with running_workers(engine):
        running = eventually(
            lambda: (a := admin.get(href)).doc['status'] == 'running' and a
        )
        answer = admin.post(running.link('cancel'), status=202)
        assert answer.doc['status'] == 'running' and not answer.has('cancel')
        done = eventually(
            lambda: (a := admin.get(href)).doc['status'] == 'cancelled' and a
        )
    statuses = [job['status'] for job in done.doc['jobs']]
    assert statuses[-1] == 'cancelled' and 'pending' not in statuses


def test_retry_resumes_at_the_failed_job(admin, engine):
    body = {'jobs': 3, 'failJob': 2, 'failAttempts': 1}
    started = start_sleep(admin, body, status=202)
    with running_workers(engine):
        failed = poll_until_terminal(admin, started.link('self'))
        assert failed.doc['status'] == 'failed'
        assert failed.doc['errors'][0]['code'] == 'SLEEP-1'
        assert [j['status'] for j in failed.doc['jobs']] == [
            'finished',
            'failed',
            'pending',
        ]
        v1 = admin.get(
            started.link('self'), accept='application/vnd.abiq.task+json; version=1'
        )
        assert v1.doc['error']['code'] == 'SLEEP-1'
        retried = admin.post(failed.link('retry'), status=202)
        assert retried.doc['status'] == 'pending' and retried.doc['attempt'] == 2
        assert retried.headers['Location'] == started.link('self')
        done = poll_until_terminal(admin, started.link('self'))
    assert done.doc['status'] == 'finished' and done.doc['errors'] == []
    runs = [
        job.runs
        for job in TaskJob.select()
        .where(TaskJob.task == started.doc['id'])
        .order_by(TaskJob.position)
    ]
    assert runs == [1, 2, 1]


def test_patch_with_empty_body_retries_and_wrong_states_conflict(admin, engine):
    started = start_sleep(admin, {'jobs': 1, 'failJob': 1}, status=202)
    href = started.link('self')
    assert admin.request('PATCH', href, status=409).codes == ['TASK-2']
    with running_workers(engine):
        poll_until_terminal(admin, href)
        assert admin.request(
            'PATCH', href, body=b'{}', content_type='application/json', status=400
        ).codes == ['400-BAD-REQUEST']
        assert admin.request('PATCH', href, status=202).doc['attempt'] == 2
        finished = poll_until_terminal(admin, href)
    assert finished.doc['status'] == 'finished'
    retry_url = href + '/retry'
    assert admin.post(retry_url, status=409).codes == ['TASK-2']
    assert admin.post(finished.link('self') + '/cancel', status=409).codes == ['TASK-2']


def test_expired_tasks_are_404_then_purged(config, world):
    app = make_app(config, task_retention=1)
    admin = Api(app, app.services.codec, basic('admin'))
    started = start_sleep(admin, {'jobs': 1}, status=202)
    with running_workers(app.services.engine):
        finished = poll_until_terminal(admin, started.link('self'))
    assert finished.doc['status'] == 'finished'
    # NOTE: read once more within the second, then the retention runs out
    eventually(lambda: admin.get(started.link('self')).status == 404, timeout=10)
    assert admin.get(started.link('self'), status=404).codes == ['TASK-1']
    assert eventually(app.services.engine.purge) == 1
    assert Task.get_or_none(Task.id == started.doc['id']) is None
    assert TaskJob.select().where(TaskJob.task == started.doc['id']).count() == 0


def test_long_poll_answers_as_soon_as_the_task_changes(admin, engine, app):
    started = start_sleep(admin, {'jobs': 1}, status=202)
    href = started.link('self')
    result = {}

    def long_poll():
        client = Api(app, app.services.codec, basic('admin'))
        began = time.monotonic()
        result['answer'] = client.get(href, headers={'Prefer': 'wait=20'})
        result['elapsed'] = time.monotonic() - began

    thread = threading.Thread(target=long_poll)
    thread.start()
    # NOTE: the long poll is in place once its waiter slot is taken.
    eventually(lambda: app.services.waiter._slots._value < 4)
    with running_workers(engine):
        thread.join(30)
    assert not thread.is_alive()
    assert result['answer'].headers['Preference-Applied'] == 'wait=20'
    assert result['answer'].doc['status'] in ('running', 'finished')
    assert result['elapsed'] < 15


def test_long_poll_is_capped_and_times_out(config, world, engine):
    app = make_app(config, max_wait=1)
    client = Api(app, app.services.codec, basic('admin'))
    diagnostics = client.get('/', status=200).link('diagnostics')
    started = client.post(diagnostics, {'jobs': 1}, content_type=SLEEP_TYPE, status=202)
    answer = client.get(
        started.link('self'), headers={'Prefer': 'wait=100'}, status=200
    )
    assert answer.headers['Preference-Applied'] == 'wait=1'
    assert answer.doc['status'] == 'pending'
    etag = answer.headers['ETag']
    unchanged = client.get(
        started.link('self'), headers={'Prefer': 'wait=1', 'If-None-Match': etag}
    )
    assert unchanged.status == 304


def test_too_many_waiters_get_503(config, world, engine):
    app = make_app(config, max_waiters=1, max_wait=30)
    client = Api(app, app.services.codec, basic('admin'))
    diagnostics = client.get('/', status=200).link('diagnostics')
    href = client.post(
        diagnostics, {'jobs': 1}, content_type=SLEEP_TYPE, status=202
    ).link('self')
    waiter = app.services.waiter
    done = {}

    def hold():
        other = Api(app, app.services.codec, basic('admin'))
        done['answer'] = other.get(href, headers={'Prefer': 'wait=30'})

    thread = threading.Thread(target=hold)
    thread.start()
    eventually(lambda: waiter._slots._value == 0)
    busy = client.get(href, headers={'Prefer': 'wait=5'}, status=503)
    assert busy.codes == ['503-SERVICE-UNAVAILABLE'] and busy.headers['Retry-After']
    assert client.get(href, status=200).doc['status'] == 'pending'
    Task.update(progress=1, revision=Task.revision + 1).where(
        Task.id == href.rsplit('/', 1)[1]
    ).execute()
    thread.join(30)
    assert done['answer'].status == 200


def test_post_with_prefer_wait_answers_the_finished_task(admin, engine):
    with running_workers(engine):
        answer = start_sleep(admin, {'jobs': 2}, headers={'Prefer': 'wait=20'})
    assert answer.status == 200 and answer.doc['status'] == 'finished'
    assert answer.headers['Preference-Applied'] == 'wait=20'
    assert answer.headers['Content-Location'] == answer.link('self')


def test_diagnostics_is_for_admins_only(api, admin):
    assert not api.get('/', status=200).has('diagnostics')
    href = admin.get('/', status=200).link('diagnostics')
    denied = api.post(href, {'jobs': 1}, content_type=SLEEP_TYPE, status=403)
    assert denied.codes == ['403-FORBIDDEN']
    bad = admin.post(
        href, {'jobs': 2, 'failJob': 3}, content_type=SLEEP_TYPE, status=400
    )
    assert bad.codes == ['400-BAD-REQUEST']


def test_a_long_poll_that_sees_the_end_asks_for_no_more_polling(admin, engine):
    started = start_sleep(admin, {'jobs': 2, 'seconds': 0.2}, status=202)
    assert started.headers['Retry-After'] == '1'
    href, answer = started.link('self'), started
    with running_workers(engine):
        while answer.doc['status'] not in ('finished', 'failed'):
            headers = {'Prefer': 'wait=10', 'If-None-Match': answer.headers['ETag']}
            polled = admin.get(href, headers=headers)
            if polled.status != 304:
                answer = polled
    assert answer.doc['status'] == 'finished'
    assert answer.headers['Preference-Applied'] == 'wait=10'
    assert 'Retry-After' not in answer.headers
    assert 'Expires' in answer.headers


def test_a_202_shows_the_task_and_its_jobs_as_accepted(admin, engine):
    # NOTE: with workers running, a task may be claimed before its 202 is
    # written; the body still shows the moment it was accepted, never a
    # pending task with a running job.
    with running_workers(engine):
        for _ in range(20):
            task = start_sleep(admin, {'jobs': 2}, status=202).doc
            assert task['status'] == 'pending' and task['startedAt'] is None
            assert [job['status'] for job in task['jobs']] == ['pending'] * 2
