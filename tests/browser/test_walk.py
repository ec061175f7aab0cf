"""A user, by the pages alone, makes an appliance and a machine in it,
deploys the machine and watches the task run live, then powers it off
(issue 15, scenario a)."""

from __future__ import annotations

from tests.browser.support import DEMO
from tests.browser.support import TEMPLATE


def test_a_user_deploys_a_new_machine_by_the_pages(browser, served, accounts):
    browser.use_basic(*DEMO)
    browser.open(served.root)

    browser.follow('virtualappliances')
    assert browser.find('table#collection').is_displayed()
    browser.fill('#create-form', name='walked')
    browser.submit('#create-form')
    assert browser.field('name') == 'walked'
    assert browser.field('state') == 'NOT_DEPLOYED'
    browser.screenshot('appliance')

    browser.follow('virtualmachines')
    browser.choose('#create-form #f-link-template', TEMPLATE)
    browser.fill('#create-form', name='walker')
    browser.submit('#create-form')
    machine = browser.driver.current_url
    assert browser.field('name') == 'walker'
    assert browser.field('state') == 'NOT_ALLOCATED'
    template = accounts.demo.get(machine, status=200).link('template')
    assert accounts.demo.get(template).doc['name'] == TEMPLATE

    browser.act('deploy')
    browser.record_task()
    browser.screenshot('task-deploy')
    landed_on(browser, machine, state='ON')
    notes = browser.task_notes()
    progress = [note['progress'] for note in notes]
    assert any(0 < value < 100 for value in progress), notes
    assert progress[-1] == 100, notes
    assert progress == sorted(progress), notes
    assert notes[-1]['status'] == 'finished', notes
    assert all(status == 'finished' for status in notes[-1]['jobs']), notes

    browser.act('poweroff')
    landed_on(browser, machine, state='OFF')
    assert accounts.demo.get(machine).doc['state'] == 'OFF'


def landed_on(browser, url: str, *, state: str) -> None:
    """Wait until a task page moved to its result, showing ``state``."""
    browser.wait(
        lambda: browser.driver.current_url == url and browser.field('state') == state,
        f'never landed on {url} in state {state} (at {browser.driver.current_url})',
    )
