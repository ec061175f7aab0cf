"""An administrator, signed in with a token, starts diagnostic tasks from
the root's page, cancels one while it runs and retries one that failed
(issue 15, scenario b)."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin_tab(browser, served, accounts):
    """The tab signed in as the admin with a new token (the sign-in page)."""
    browser.sign_in_with_token(accounts.admin.new_token(served.root, 'browser'))
    assert browser.find('#caller').text == 'admin'
    return browser


def test_a_running_task_is_cancelled_from_its_page(admin_tab, accounts):
    start_sleep(admin_tab, jobs='5', seconds='1')
    task = admin_tab.driver.current_url
    admin_tab.wait(lambda: progress(admin_tab) >= 20, 'no progress shown')
    admin_tab.screenshot('task-running')

    admin_tab.act('cancel')
    assert admin_tab.driver.current_url == task
    admin_tab.record_task()
    status(admin_tab, 'cancelled')
    # NOTE: shown by the page as it followed the task, before any reload
    assert 'cancelled' in [note['status'] for note in admin_tab.task_notes()]
    ended = accounts.admin.get(task).doc
    assert ended['status'] == 'cancelled'
    assert [job['status'] for job in ended['jobs']].count('finished') < 5
    assert 'cancel' not in admin_tab.actions()


def test_a_failed_task_is_retried_from_its_page(admin_tab, accounts):
    start_sleep(admin_tab, jobs='2', seconds='0.5', failJob='2')
    task = admin_tab.driver.current_url
    status(admin_tab, 'failed')
    assert admin_tab.wait(lambda: 'retry' in admin_tab.actions(), 'no retry button')

    admin_tab.act('retry')
    assert admin_tab.driver.current_url == task
    admin_tab.record_task()
    status(admin_tab, 'finished')
    shown = [note['status'] for note in admin_tab.task_notes()]
    assert shown[-1] == 'finished' and 'failed' not in shown, shown
    assert accounts.admin.get(task).doc['attempt'] == 2
    admin_tab.open(task)
    assert admin_tab.field('attempt') == '2'
    assert not {'retry', 'cancel'} & admin_tab.actions()


def start_sleep(tab, **fields: str) -> None:
    """Start a SLEEP task with the diagnostics form; land on its page."""
    tab.fill('#diagnostics-form', **fields)
    tab.submit('#diagnostics-form')
    assert tab.find('#task-progress').is_displayed()


def status(tab, expected: str) -> None:
    """Wait until the task page shows a status."""
    tab.wait(
        lambda: tab.find('#task-status').text == expected,
        f'the task never showed {expected} (shows {tab.find("#task-status").text})',
    )


def progress(tab) -> int:
    """Return the progress the task page shows."""
    return int(tab.find('#task-progress').get_attribute('value'))
