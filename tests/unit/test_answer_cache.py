"""Finished tasks answered from memory: tenancy, expiry, accounts changed,
and the step around the responder (304, long polls, HEAD)."""

from __future__ import annotations

import datetime as dt
import types

import falcon
import falcon.testing
import pytest

from abiq.auth import Caller
from abiq.db.models import User
from abiq.db.models import utcnow
from abiq.finished import FinishedTasks
from abiq.middleware import AnswerCache
from abiq.signals import AccountEvents
from tests.unit.answering import Context

ACME, OTHER = 1, 2
KEY = ('t1', 'task+json2', 'http://h/api')


def caller(role: str = 'user', enterprise_id: int = ACME) -> Caller:
    return Caller(User(id=9, role=role, enterprise_id=enterprise_id))


def task(status: str = 'finished', expires_at=None) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        status=status, enterprise_id=ACME, expires_at=expires_at, revision=4
    )


def answer(body: bytes = b'{"id": "t1"}') -> falcon.Response:
    resp = falcon.Response()
    resp.status, resp.data, resp.etag = falcon.HTTP_200, body, 'abc.json2'
    return resp


@pytest.fixture
def accounts() -> AccountEvents:
    return AccountEvents()


@pytest.fixture
def finished(accounts) -> FinishedTasks:
    return FinishedTasks(accounts)


def test_a_kept_answer_is_found_whole(finished, accounts):
    finished.keep(KEY, task(), answer(), accounts.epoch)
    found = finished.find(KEY, caller())
    assert found.body == b'{"id": "t1"}'
    assert found.etag == '"abc.json2"'
    assert found.status == falcon.HTTP_200


def test_only_finished_tasks_are_kept(finished, accounts):
    for status in ('pending', 'running', 'failed', 'cancelled'):
        finished.keep(KEY, task(status), answer(), accounts.epoch)
    assert finished.find(KEY, caller()) is None


def test_another_tenant_is_not_answered_an_admin_is(finished, accounts):
    finished.keep(KEY, task(), answer(), accounts.epoch)
    assert finished.find(KEY, caller('user', OTHER)) is None
    assert finished.find(KEY, caller('admin', OTHER)) is not None
    assert finished.find(KEY, caller('viewer', ACME)) is not None


def test_an_expired_task_is_dropped(finished, accounts):
    gone = utcnow() - dt.timedelta(seconds=1)
    finished.keep(KEY, task(expires_at=gone), answer(), accounts.epoch)
    assert finished.find(KEY, caller()) is None
    assert len(finished.answers) == 0
    later = utcnow() + dt.timedelta(days=1)
    finished.keep(KEY, task(expires_at=later), answer(), accounts.epoch)
    assert finished.find(KEY, caller()) is not None


def test_accounts_changed_forgets_every_answer(finished, accounts):
    finished.keep(KEY, task(), answer(), accounts.epoch)
    accounts.changed()
    assert len(finished.answers) == 0
    assert finished.find(KEY, caller()) is None


def test_an_answer_read_before_a_change_is_never_served(finished, accounts):
    epoch = accounts.epoch  # the task is read...
    accounts.changed()  # ...a user is deleted meanwhile...
    finished.keep(KEY, task(), answer(), epoch)  # ...and its answer kept after
    assert finished.find(KEY, caller()) is None
    finished.keep(KEY, task(), answer(), accounts.epoch)
    assert finished.find(KEY, caller()) is not None


def test_what_the_request_asked_for_is_not_kept(finished, accounts):
    resp = answer()
    resp.set_header('Preference-Applied', 'wait=5')
    finished.keep(KEY, task(), resp, accounts.epoch)
    assert 'preference-applied' not in finished.find(KEY, caller()).headers


# -- the step around a responder ---------------------------------------------


class _Task:
    """A task resource that counts its reads and answers like tasks.Item."""

    answer_cache = True

    def __init__(self, status: str = 'finished') -> None:
        self.status = status
        self.reads = 0

    def on_get(self, req, resp, task_id: str) -> None:
        self.reads += 1
        resp.data, resp.etag = f'{{"id": "{task_id}"}}'.encode(), 'abc.json2'
        if req.get_header('Prefer'):
            resp.set_header('Preference-Applied', 'wait=5')
        req.context.task = task(self.status)

    on_head = on_get


def client(resource: _Task, who: Caller | None = None) -> falcon.testing.TestClient:
    finished = FinishedTasks(AccountEvents())
    policies = [Context(who or caller()), AnswerCache(finished, max_wait=30)]
    app = falcon.App(middleware=policies)
    app.add_route('/tasks/{task_id}', resource)
    return falcon.testing.TestClient(app)


def test_the_second_get_is_answered_before_the_responder():
    resource = _Task()
    api = client(resource)
    first = api.simulate_get('/tasks/t1')
    again = api.simulate_get('/tasks/t1')
    assert resource.reads == 1
    assert again.status_code == first.status_code == 200
    assert again.content == first.content == b'{"id": "t1"}'
    assert again.headers['ETag'] == first.headers['ETag']
    assert api.simulate_get('/tasks/t2').content == b'{"id": "t2"}'
    assert resource.reads == 2


def test_an_active_task_is_always_read():
    resource = _Task('running')
    api = client(resource)
    for _ in range(3):
        assert api.simulate_get('/tasks/t1').status_code == 200
    assert resource.reads == 3


def test_if_none_match_is_304_on_both_paths():
    resource = _Task()
    api = client(resource)
    match = {'If-None-Match': '"abc.json2"'}
    missed = api.simulate_get('/tasks/t1', headers=match)
    assert missed.status_code == 304 and not missed.content
    hit = api.simulate_get('/tasks/t1', headers=match)
    assert hit.status_code == 304 and not hit.content
    # NOTE: the revalidation that missed kept the whole answer
    assert api.simulate_get('/tasks/t1').content == b'{"id": "t1"}'
    assert resource.reads == 1


def test_a_long_poll_on_an_unchanged_task_goes_to_the_responder():
    resource = _Task()
    api = client(resource)
    api.simulate_get('/tasks/t1')
    waiting = {'If-None-Match': '"abc.json2"', 'Prefer': 'wait=5'}
    answered = api.simulate_get('/tasks/t1', headers=waiting)
    assert resource.reads == 2
    assert answered.status_code == 304
    assert answered.headers['Preference-Applied'] == 'wait=5'


def test_a_wait_with_nothing_to_wait_for_is_answered_from_memory():
    resource = _Task()
    api = client(resource)
    api.simulate_get('/tasks/t1')
    answered = api.simulate_get('/tasks/t1', headers={'Prefer': 'wait=99'})
    assert resource.reads == 1
    assert answered.status_code == 200
    assert answered.headers['Preference-Applied'] == 'wait=30'  # capped
    assert 'Preference-Applied' not in api.simulate_get('/tasks/t1').headers


def test_head_shares_the_answers_of_get():
    resource = _Task()
    api = client(resource)
    head = api.simulate_head('/tasks/t1')
    assert head.status_code == 200 and not head.content
    assert api.simulate_get('/tasks/t1').content == b'{"id": "t1"}'
    assert resource.reads == 1


def test_another_tenant_goes_to_the_responder():
    resource = _Task()
    finished = FinishedTasks(AccountEvents())
    for who in (caller(), caller('user', OTHER)):
        app = falcon.App(middleware=[Context(who), AnswerCache(finished, 30)])
        app.add_route('/tasks/{task_id}', resource)
        falcon.testing.TestClient(app).simulate_get('/tasks/t1')
    assert resource.reads == 2
