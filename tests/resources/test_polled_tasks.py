"""A polled task is answered from memory while it has not changed, and every
change (a worker's step, a log line, a client's update, another process's
write) shows on the next poll, exactly as a new process would render it."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from abiq.db.models import Task
from abiq.db.models import utcnow
from abiq.resources import task_answers
from abiq.tasks.claimed import error
from abiq.tasks.store import Ending
from tests.conftest import PASSWORD
from tests.conftest import make_app
from tests.support import Api
from tests.support import basic

SLEEP_TYPE = 'application/vnd.abiq.sleep+json'
TASK_TYPE = 'application/vnd.abiq.task+json'
RUNNING = {
    'type': 'BACKUP',
    'description': 'an agent at work',
    'status': 'running',
    'progress': 10,
    'jobs': [{'type': 'COPY', 'status': 'finished'}, {'type': 'COPY'}],
}


@pytest.fixture
def admin(as_user) -> Api:
    return as_user('admin')


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The ids of the tasks rendered for an answer, in order."""
    seen: list[str] = []
    render = task_answers.render_task

    def counted(task, *args, **kwargs):
        seen.append(task.id)
        return render(task, *args, **kwargs)

    monkeypatch.setattr(task_answers, 'render_task', counted)
    return seen


def polled_as_fresh(client: Api, href: str, config, user: str) -> dict:
    """Poll the task; check the answer is what a process that never saw the
    task answers now; return its document."""
    kept = client.get(href, status=200)
    fresh = make_app(config)
    truth = Api(fresh, fresh.services.codec, basic(user, PASSWORD)).get(href)
    assert truth.status == 200
    assert kept.body == truth.body
    assert kept.headers['ETag'] == truth.headers['ETag']
    assert kept.headers['Last-Modified'] == truth.headers['Last-Modified']
    return kept.doc


def external_task(client: Api) -> str:
    create = client.get(client.get('/', status=200).link('tasks'), status=200)
    made = client.post(
        create.link('create'), RUNNING, content_type=TASK_TYPE, status=201
    )
    return made.link('self')


def test_an_unchanged_task_is_rendered_once_however_often_it_is_polled(api, renders):
    href = external_task(api)
    renders.clear()
    answers = [api.get(href, status=200) for _ in range(4)]
    assert len(renders) == 1
    assert len({answer.body for answer in answers}) == 1
    assert len({answer.headers['X-Request-Id'] for answer in answers}) == 4
    etag = answers[0].headers['ETag']
    api.get(href, headers={'If-None-Match': etag}, status=304)
    assert len(renders) == 1


def test_every_step_of_a_worker_shows_on_the_next_poll(admin, app, config):
    started = admin.post(
        admin.get('/', status=200).link('diagnostics'),
        {'jobs': 2, 'seconds': 0},
        content_type=SLEEP_TYPE,
        status=202,
    )
    href, task_id = started.link('self'), started.doc['id']
    store = app.services.engine.store

    def poll() -> dict:
        return polled_as_fresh(admin, href, config, 'admin')

    assert poll()['status'] == 'pending'
    now = utcnow()
    lease = now + dt.timedelta(seconds=60)
    with store.transaction():
        jobs = store.claim('w1', now, lease, 3).claimed_jobs  # the first started
    doc = poll()
    assert doc['status'] == 'running'
    assert [job['status'] for job in doc['jobs']] == ['running', 'pending']
    with store.transaction():
        store.hold(task_id, 'w1', now, lease, 50)
        store.end_job(jobs[0].id, 'finished', now)
        store.start_job(jobs[1].id, now)
    doc = poll()
    assert doc['progress'] == 50
    assert [job['status'] for job in doc['jobs']] == ['finished', 'running']
    store.append_log(task_id, 'half way there', utcnow())
    assert poll()['log'] == 'half way there'
    errors = orjson.dumps([error('TASK-6', 'Job STEP failed unexpectedly')])
    failed = Ending('failed', now, now + dt.timedelta(days=1), errors.decode())
    with store.transaction():
        store.end_task(task_id, 'w1', failed)
    doc = poll()
    assert doc['status'] == 'failed' and doc['retryable']
    assert any(link['rel'] == 'retry' for link in doc['links'])
    store.reset_for_retry(task_id, utcnow())
    assert poll()['status'] == 'pending'


def test_an_update_by_its_agent_shows_on_the_next_poll(api, config):
    href = external_task(api)
    assert polled_as_fresh(api, href, config, 'alice')['progress'] == 10
    edit = api.get(href, status=200).link('edit')
    api.put(edit, {'progress': 60, 'log': 'copied'}, content_type=TASK_TYPE)
    doc = polled_as_fresh(api, href, config, 'alice')
    assert doc['progress'] == 60 and doc['log'] == 'copied'


def test_a_change_made_by_another_process_shows_on_the_next_poll(api, config):
    href = external_task(api)
    task_id = api.get(href, status=200).doc['id']
    # NOTE: as another serving process or host writes it: nothing in this
    # process hears of it but the row.
    Task.update(progress=75, revision=Task.revision + 1).where(
        Task.id == task_id
    ).execute()
    assert polled_as_fresh(api, href, config, 'alice')['progress'] == 75


def test_each_caller_gets_the_links_it_may_follow(api, as_user, config):
    href = external_task(api)
    vera, bob, admin = as_user('vera'), as_user('bob'), as_user('admin')
    for _ in range(2):
        mine = api.get(href, status=200)
        assert mine.has('cancel') and mine.has('edit')
        viewer = vera.get(href, status=200)
        assert not viewer.has('cancel') and not viewer.has('edit')
        assert viewer.doc['id'] == mine.doc['id']
        assert bob.get(href, status=404).codes == ['TASK-1']
        assert admin.get(href, status=200).has('edit')
    polled_as_fresh(vera, href, config, 'vera')


def test_deleting_the_tasks_user_takes_its_user_link_away(api, as_user):
    href = external_task(api)
    assert api.get(href, status=200).has('user')
    admin = as_user('admin')
    user = admin.get(admin.get(href, status=200).link('user'), status=200)
    admin.delete(user.link('edit'), status=204)
    assert not admin.get(href, status=200).has('user')
