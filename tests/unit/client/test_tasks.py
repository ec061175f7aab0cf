"""Waiting for a task: long polls, pauses, timeouts and the result, against a
client that answers from a script (no server, no sleeping)."""

from __future__ import annotations

from typing import Any

import pytest

from abiq.client import tasks
from abiq.client.errors import ErrorItem
from abiq.client.errors import ServiceUnavailable
from abiq.client.errors import TaskCancelled
from abiq.client.errors import TaskFailed
from abiq.client.errors import WaitTimeout
from abiq.client.resources import Link
from abiq.client.resources import Resource
from abiq.client.session import Reply
from tests.unit.client.replies import reply
from tests.unit.client.replies import task_doc
from tests.unit.client.replies import task_of


class Clock:
    """time.monotonic and time.sleep: sleeping moves the clock on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class ScriptedClient:
    """Answers each poll with the next reply (or raises it); records asks."""

    def __init__(self, clock: Clock, *answers: Reply | Exception, poll_takes=0.0):
        self.clock = clock
        self.answers = list(answers)
        self.polls: list[tuple[str | None, int]] = []
        self.got: list[Link] = []
        self.poll_takes = poll_takes

    def poll(self, task: Any, seconds: int) -> Reply:
        self.polls.append((task.headers.get('ETag'), seconds))
        self.clock.now += self.poll_takes or seconds
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, link: Link) -> Resource:
        self.got.append(link)
        return Resource(
            self, reply({'links': [], 'name': 'web'}, name='virtualmachine')
        )


@pytest.fixture
def clock(monkeypatch) -> Clock:
    found = Clock()
    monkeypatch.setattr(tasks.time, 'monotonic', found.monotonic)
    monkeypatch.setattr(tasks.time, 'sleep', found.sleep)
    return found


def _waited(status: str, etag: str, **fields) -> Reply:
    return reply(task_doc(status, **fields), ETag=etag, Preference_Applied='wait=30')


def test_a_task_that_has_ended_is_returned_at_once(clock):
    client = ScriptedClient(clock)
    task = task_of('finished', client)
    seen = []
    assert task.wait(on_progress=seen.append) is task
    assert (seen, client.polls) == ([task], [])


def test_each_poll_waits_on_the_last_tag_and_reports_each_change(clock):
    client = ScriptedClient(
        clock,
        _waited('running', '"t1"', progress=10),
        reply({}, 304),
        _waited('running', '"t2"', progress=10),
        _waited('finished', '"t3"', progress=100),
    )
    seen: list[tasks.Task] = []
    ended = task_of('pending', client).wait(on_progress=seen.append)
    assert ended.state == 'finished' and ended.headers['ETag'] == '"t3"'
    assert client.polls == [('"t0"', 30), ('"t1"', 30), ('"t1"', 30), ('"t2"', 30)]
    # the same data under a new tag is no change to report
    assert [task.get('progress') for task in seen] == [None, 10, 100]
    assert clock.slept == []


def test_a_server_that_does_not_wait_is_polled_after_its_retry_after(clock):
    client = ScriptedClient(
        clock,
        reply(task_doc('running'), ETag='"t1"', Retry_After='2'),
        reply(task_doc('running'), ETag='"t1"'),
        _waited('finished', '"t2"'),
        poll_takes=0.01,
    )
    task_of('pending', client).wait()
    assert clock.slept == [2.0, 1.0]


def test_a_503_pauses_then_asks_once_without_waiting(clock):
    busy = ServiceUnavailable(503, [ErrorItem('503-SERVICE-UNAVAILABLE', 'busy')], 3)
    client = ScriptedClient(
        clock, busy, _waited('running', '"t1"'), _waited('finished', '"t2"')
    )
    task_of('pending', client).wait()
    assert [seconds for _tag, seconds in client.polls] == [30, 0, 30]
    assert clock.slept == [3]


def test_the_timeout_bounds_every_poll_and_pause(clock):
    client = ScriptedClient(
        clock,
        reply({}, 304),
        reply(task_doc('running'), ETag='"t1"', Retry_After='60'),
        poll_takes=5,
    )
    with pytest.raises(WaitTimeout) as caught:
        task_of('pending', client).wait(timeout=12.5)
    assert [seconds for _tag, seconds in client.polls] == [12, 7]
    assert clock.slept == [2.5]
    assert caught.value.task.headers['ETag'] == '"t1"'
    assert str(caught.value).endswith('is still running after 12.5 s')


def test_a_zero_timeout_asks_nothing(clock):
    client = ScriptedClient(clock)
    with pytest.raises(WaitTimeout):
        task_of('running', client).wait(timeout=0)
    assert client.polls == []


def test_failed_and_cancelled_tasks_raise(clock):
    error = {'code': 'VM-9', 'message': 'no disk'}
    with pytest.raises(TaskFailed) as failed:
        task_of('failed', ScriptedClient(clock), errors=[error]).wait()
    assert failed.value.code == 'VM-9'
    with pytest.raises(TaskCancelled):
        task_of('cancelled', ScriptedClient(clock)).wait()
    v1 = task_of('failed', ScriptedClient(clock), error={'code': 'TASK-CANCELLED'})
    assert (v1.state, v1.errors) == ('cancelled', [{'code': 'TASK-CANCELLED'}])
    with pytest.raises(TaskCancelled):
        v1.wait()


def test_an_ended_task_with_a_result_returns_the_result(clock):
    result = 'http://localhost/api/virtualmachines/3'
    client = ScriptedClient(
        clock,
        reply(
            task_doc('finished', links=[{'rel': 'result', 'href': result}]),
            303,
            Location=result,
            Preference_Applied='wait=30',
        ),
    )
    found = task_of('running', client).wait()
    assert found['name'] == 'web'
    assert [link.href for link in client.got] == [result]


def test_a_version_1_result_is_the_link_the_location_names(clock):
    target = 'http://localhost/api/virtualmachines/3'
    links = [{'rel': 'result', 'href': '/elsewhere'}, {'rel': 'target', 'href': target}]
    client = ScriptedClient(clock)
    task = tasks.Task(
        client, reply(task_doc('finished', links=links), 303, Location=target)
    )
    task.wait()
    assert [(link.rel, link.href) for link in client.got] == [('target', target)]
    bare = tasks.Task(client, reply(task_doc('finished'), 303, Location='/x'))
    bare.wait()
    assert (client.got[-1].rel, client.got[-1].href) == ('result', '/x')


@pytest.mark.parametrize(
    ('status', 'done'),
    [
        ('pending', False),
        ('running', False),
        ('finished', True),
        ('failed', True),
        ('cancelled', True),
    ],
)
def test_done(status, done):
    assert task_of(status).done is done
    assert (status in tasks.TERMINAL) is done
