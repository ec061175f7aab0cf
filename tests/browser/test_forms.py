"""The forms of the pages: an edit form prefilled with the resource, a
rejected form saying what is wrong next to the field, a new token's secret
shown once, and signing in and out with it (issue 15)."""

from __future__ import annotations

import uuid

from tests.browser.support import DEMO
from tests.browser.support import TEMPLATE


def test_the_edit_form_changes_the_resource_it_shows(browser, served, accounts):
    demo = accounts.demo
    appliances = demo.follow(demo.get(served.root), 'virtualappliances')
    name = f'before-{uuid.uuid4().hex[:6]}'
    appliance = demo.create(appliances, {'name': name}).link('self')
    browser.use_basic(*DEMO)
    browser.open(appliance)

    assert browser.find('#edit-form #f-name').get_attribute('value') == name
    browser.fill('#edit-form', name=f'after {name}')
    browser.submit('#edit-form')

    assert browser.driver.current_url == appliance
    assert browser.field('name') == f'after {name}'
    assert demo.get(appliance).doc['name'] == f'after {name}'


def test_a_rejected_form_says_what_is_wrong_next_to_the_field(
    browser, served, pages, accounts
):
    machines = accounts.demo.get(pages['appliance']).link('virtualmachines')
    before = accounts.demo.get(machines).doc['totalSize']
    browser.use_basic(*DEMO)
    browser.open(machines)

    # NOTE: past the browser's own checks, to the server's
    browser.script("document.getElementById('create-form').noValidate = true")
    browser.choose('#create-form #f-link-template', TEMPLATE)
    browser.fill('#create-form', name='not a name!')
    browser.submit('#create-form')

    error = browser.find('#f-name-error')
    assert 'field-error' in error.get_attribute('class').split()
    assert error.text
    assert browser.find('#f-name').get_attribute('value') == 'not a name!'
    assert browser.find('#f-name').get_attribute('aria-describedby') == 'f-name-error'
    assert accounts.demo.get(machines).doc['totalSize'] == before


def test_a_new_tokens_secret_is_shown_once_and_signs_in(browser, served):
    browser.use_basic(*DEMO)
    browser.open(served.root)
    browser.follow('currentuser')
    browser.follow('tokens')
    browser.fill('#create-form', name='laptop')
    browser.submit('#create-form')

    secret = browser.find('#token-secret').text
    assert secret.startswith('abiq_')
    browser.follow('self')
    assert not browser.find_all('#token-secret')
    assert secret not in browser.find('html').get_attribute('outerHTML')

    browser.forget()
    browser.sign_in_with_token(secret)
    assert browser.find('#caller').text == DEMO[0]
    (cookie,) = browser.driver.get_cookies()
    assert cookie['httpOnly'], cookie
    assert cookie['value'] not in browser.script('return document.cookie')
    assert secret not in browser.find('html').get_attribute('outerHTML')

    browser.submit('#signout-form')
    assert browser.driver.current_url == served.root + 'signin'
    assert not browser.driver.get_cookies()
    # NOTE: a 401 page asks for Basic credentials: headless Chromium shows
    # nothing while it would be asking
    browser.driver.get(served.root)
    assert not browser.find_all('#caller')
