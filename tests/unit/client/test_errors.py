"""The client's exceptions, built from the server's error collections."""

from __future__ import annotations

import pytest

from abiq.client import errors
from abiq.client.errors import ApiError
from abiq.client.errors import ErrorItem
from abiq.client.errors import NoSuchLink
from abiq.client.errors import error_for
from tests.unit.client.replies import task_of


@pytest.mark.parametrize(
    ('status', 'kind'),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (406, errors.NotAcceptable),
        (409, errors.Conflict),
        (412, errors.PreconditionFailed),
        (413, errors.PayloadTooLarge),
        (415, errors.UnsupportedMediaType),
        (422, errors.UnprocessableContent),
        (503, errors.ServiceUnavailable),
        (500, errors.ServerError),
        (507, errors.ServerError),
        (418, ApiError),
    ],
)
def test_each_status_has_its_exception(status, kind):
    error = error_for(status, [ErrorItem('X-1', 'why')], 2.5)
    assert type(error) is kind
    assert (error.status, error.code, error.message, error.retry_after) == (
        status,
        'X-1',
        'why',
        2.5,
    )
    assert isinstance(error, errors.AbiqError)


def test_every_entry_is_kept_and_told():
    items = [ErrorItem('A-1', 'one'), ErrorItem('B-2', 'two')]
    error = error_for(400, items)
    assert error.errors == items
    assert str(error) == '400 A-1: one; B-2: two'


def test_an_answer_without_an_error_document_still_says_its_status():
    error = error_for(502, [])
    assert (error.code, error.message, str(error)) == (
        '502',
        'No error document',
        '502 502: No error document',
    )


def test_no_such_link_names_the_links_there_are():
    error = NoSuchLink('deploy', ['self', 'edit'])
    assert (error.rel, error.available) == ('deploy', ['self', 'edit'])
    assert str(error) == "no 'deploy' link here; links: self, edit"


def test_task_failed_carries_the_tasks_errors():
    task = task_of('failed', errors=[{'code': 'VM-9', 'message': 'disk full'}])
    failed = errors.TaskFailed(task)
    assert (failed.task, failed.code, failed.errors) == (
        task,
        'VM-9',
        [ErrorItem('VM-9', 'disk full')],
    )
    assert str(failed) == f'task {task["id"]} failed: VM-9: disk full'
    bare = errors.TaskFailed(task_of('failed'))
    assert (bare.code, str(bare).endswith('TASK-FAILED: the task failed')) == (
        'TASK-FAILED',
        True,
    )


def test_cancelled_and_timed_out_tasks():
    task = task_of('running')
    assert str(errors.TaskCancelled(task)) == f'task {task["id"]} was cancelled'
    assert errors.TaskCancelled.code == 'TASK-CANCELLED'
    timeout = errors.WaitTimeout(task, 2.5)
    assert (timeout.task, timeout.code) == (task, 'WAIT-TIMEOUT')
    assert str(timeout) == f'task {task["id"]} is still running after 2.5 s'
