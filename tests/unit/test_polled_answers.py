"""Answers of unfinished tasks kept while the task's revision holds: the
revision read, who asks, tenancy, expiry, accounts changed, and the step
around the responder (long polls go to it)."""

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
from abiq.polled import PolledTasks
from abiq.signals import AccountEvents
from tests.unit.answering import Context

ACME, OTHER = 1, 2
KEY = ('t1', 'task+json2', 'http://h/api')


def caller(role: str = 'user', user_id: int = 9, enterprise_id: int = ACME) -> Caller:
    return Caller(User(id=user_id, role=role, enterprise_id=enterprise_id))


def task(status: str = 'running', revision: int = 4, expires_at=None):
    return types.SimpleNamespace(
        status=status, enterprise_id=ACME, expires_at=expires_at, revision=revision
    )


def answer(body: bytes = b'{"id": "t1"}') -> falcon.Response:
    resp = falcon.Response()
    resp.status, resp.data, resp.etag = falcon.HTTP_200, body, 'abc.json2'
    return resp


class Rows:
    """The database as the cache sees it: each task's revision now, and how
    many times it was read."""

    def __init__(self, **revisions: int) -> None:
        self.revisions = revisions
        self.reads = 0

    def revision(self, task_id: str) -> int | None:
        self.reads += 1
        return self.revisions.get(task_id)


@pytest.fixture
def accounts() -> AccountEvents:
    return AccountEvents()


@pytest.fixture
def rows() -> Rows:
    return Rows(t1=4)


@pytest.fixture
def polled(accounts, rows) -> PolledTasks:
    return PolledTasks(accounts, rows.revision)


def test_an_answer_is_served_while_its_revision_holds(polled, accounts, rows):
    polled.keep(KEY, caller(), task(), answer(), accounts.epoch)
    found = polled.find(KEY, caller())
    assert found.body == b'{"id": "t1"}' and found.etag == '"abc.json2"'
    assert rows.reads == 1  # every answer from here reads the revision
    rows.revisions['t1'] = 5
    assert polled.find(KEY, caller()) is None
    assert len(polled.answers) == 0
    rows.revisions['t1'] = 4  # (revisions only grow; the stale one is gone)
    assert polled.find(KEY, caller()) is None


def test_a_task_gone_from_the_database_is_not_answered(polled, accounts, rows):
    polled.keep(KEY, caller(), task(), answer(), accounts.epoch)
    del rows.revisions['t1']
    assert polled.find(KEY, caller()) is None


def test_finished_tasks_are_left_to_the_finished_answers(polled, accounts):
    polled.keep(KEY, caller(), task('finished'), answer(), accounts.epoch)
    assert len(polled.answers) == 0
    for status in ('pending', 'running', 'failed', 'cancelled'):
        polled.keep(KEY, caller(), task(status), answer(), accounts.epoch)
        assert polled.find(KEY, caller()) is not None


def test_each_caller_has_its_own_answer(polled, accounts):
    # NOTE: the cancel, retry and edit links follow the role and the creator
    polled.keep(KEY, caller('user', 9), task(), answer(b'mine'), accounts.epoch)
    assert polled.find(KEY, caller('viewer', 9)) is None
    assert polled.find(KEY, caller('user', 10)) is None
    polled.keep(KEY, caller('viewer', 9), task(), answer(b'viewer'), accounts.epoch)
    assert polled.find(KEY, caller('user', 9)).body == b'mine'
    assert polled.find(KEY, caller('viewer', 9)).body == b'viewer'


def test_another_tenant_is_never_answered(polled, accounts):
    stranger = caller('user', 9, OTHER)
    polled.keep(KEY, caller(), task(), answer(), accounts.epoch)
    assert polled.find(KEY, stranger) is None
    admin = caller('admin', 1, OTHER)
    polled.keep(KEY, admin, task(), answer(), accounts.epoch)
    assert polled.find(KEY, admin) is not None


def test_an_expired_task_is_dropped(polled, accounts):
    gone = utcnow() - dt.timedelta(seconds=1)
    polled.keep(KEY, caller(), task('failed', expires_at=gone), answer(), 0)
    assert polled.find(KEY, caller()) is None
    assert len(polled.answers) == 0


def test_accounts_changing_forgets_every_answer(polled, accounts):
    epoch = accounts.epoch  # the task is read...
    polled.keep(KEY, caller(), task(), answer(), epoch)
    accounts.changed()  # ...a user is deleted...
    assert len(polled.answers) == 0
    polled.keep(KEY, caller(), task(), answer(), epoch)  # ...kept after
    assert polled.find(KEY, caller()) is None


def test_what_the_request_asked_for_is_not_kept(polled, accounts):
    resp = answer()
    resp.set_header('Preference-Applied', 'wait=0')
    polled.keep(KEY, caller(), task(), resp, accounts.epoch)
    assert 'preference-applied' not in polled.find(KEY, caller()).headers


def test_the_memory_is_bounded(accounts, rows):
    polled = PolledTasks(accounts, rows.revision, size=2)
    for number in range(5):
        key = (f't{number}', *KEY[1:])
        rows.revisions[key[0]] = 4
        polled.keep(key, caller(), task(), answer(), accounts.epoch)
    assert len(polled.answers) == 2
    assert polled.find(('t4', *KEY[1:]), caller()) is not None
    assert polled.find(('t0', *KEY[1:]), caller()) is None


# -- the step around a responder ---------------------------------------------


class _Task:
    """A running task resource that renders its revision and counts reads."""

    answer_cache = True

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.reads = 0

    def on_get(self, req, resp, task_id: str) -> None:
        self.reads += 1
        revision = self.rows.revisions[task_id]
        resp.data = f'{{"revision": {revision}}}'.encode()
        resp.etag = f'r{revision}'
        req.context.task = task(revision=revision)

    on_head = on_get


def client(rows: Rows, polled: bool = True) -> tuple[falcon.testing.TestClient, _Task]:
    accounts = AccountEvents()
    kept = PolledTasks(accounts, rows.revision) if polled else None
    cache = AnswerCache(FinishedTasks(accounts), max_wait=30, polled=kept)
    app = falcon.App(middleware=[Context(caller()), cache])
    resource = _Task(rows)
    app.add_route('/tasks/{task_id}', resource)
    return falcon.testing.TestClient(app), resource


def test_a_poll_is_answered_from_memory_until_the_task_changes(rows):
    api, resource = client(rows)
    first = api.simulate_get('/tasks/t1')
    again = api.simulate_get('/tasks/t1')
    assert resource.reads == 1
    assert again.content == first.content == b'{"revision": 4}'
    assert again.headers['ETag'] == first.headers['ETag']
    rows.revisions['t1'] = 5
    assert api.simulate_get('/tasks/t1').content == b'{"revision": 5}'
    assert api.simulate_get('/tasks/t1').content == b'{"revision": 5}'
    assert resource.reads == 2


def test_without_polled_answers_every_poll_is_rendered(rows):
    api, resource = client(rows, polled=False)
    for _ in range(3):
        assert api.simulate_get('/tasks/t1').content == b'{"revision": 4}'
    assert resource.reads == 3


def test_a_long_poll_always_goes_to_the_responder(rows):
    api, resource = client(rows)
    api.simulate_get('/tasks/t1')
    api.simulate_get('/tasks/t1', headers={'Prefer': 'wait=5'})
    assert resource.reads == 2
    # NOTE: wait=0 asks for no wait: answered from memory, and told so
    answered = api.simulate_get('/tasks/t1', headers={'Prefer': 'wait=0'})
    assert resource.reads == 2
    assert answered.headers['Preference-Applied'] == 'wait=0'


def test_if_none_match_is_304_from_memory(rows):
    api, resource = client(rows)
    api.simulate_get('/tasks/t1')
    hit = api.simulate_get('/tasks/t1', headers={'If-None-Match': '"r4"'})
    assert hit.status_code == 304 and not hit.content
    rows.revisions['t1'] = 5
    changed = api.simulate_get('/tasks/t1', headers={'If-None-Match': '"r4"'})
    assert changed.status_code == 200 and changed.content == b'{"revision": 5}'
    assert resource.reads == 2
