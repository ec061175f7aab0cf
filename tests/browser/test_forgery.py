"""Requests a page did not make are refused and change nothing: a POST
without the form's csrf field, and a form posted from another origin
(issue 15, scenario c; API.md section 12: safe against CSRF)."""

from __future__ import annotations

import html
import json
import uuid

import pytest

from tests.browser.support import DEMO
from tests.browser.support import VIEWER

FORM = 'application/x-www-form-urlencoded'
# what an attacker's page does: post the form as soon as it is opened
ATTACK = """<!doctype html><html lang="en"><title>Win a prize</title>
<form method="post" action="{action}"><input type="hidden" name="csrf" value="{csrf}">
</form><script>document.forms[0].submit()</script></html>"""


@pytest.fixture
def appliance(served, accounts):
    """A new appliance of the demo enterprise (the one the forgeries aim at)."""
    demo = accounts.demo
    appliances = demo.follow(demo.get(served.root), 'virtualappliances')
    return demo.create(appliances, {'name': f'target-{uuid.uuid4().hex[:8]}'})


@pytest.mark.parametrize('who', [DEMO, VIEWER], ids=['user', 'viewer'])
def test_a_post_without_the_csrf_field_is_refused(browser, accounts, appliance, who):
    browser.use_basic(*who)
    browser.open(appliance.link('self'))
    collection = appliance.link('parent')
    forged = f'forged-{uuid.uuid4().hex[:8]}'

    deploy = browser.fetch(
        appliance.link('deploy'), method='POST', headers={'Content-Type': FORM}, body=''
    )
    create = browser.fetch(
        collection, method='POST', headers={'Content-Type': FORM}, body=f'name={forged}'
    )

    assert (deploy['status'], create['status']) == (403, 403), (deploy, create)
    assert_untouched(accounts, appliance)
    listed = accounts.demo.get(f'{collection}?has={forged}').doc
    assert listed['totalSize'] == 0


def test_a_script_signed_in_by_the_cookie_needs_the_csrf_header(
    browser, served, accounts, appliance
):
    browser.sign_in_with_token(accounts.demo.new_token(served.root, 'cookie'))
    browser.open(appliance.link('self'))
    csrf = browser.find('#edit-form input[name="csrf"]').get_attribute('value')
    (edit,) = [link for link in appliance.doc['links'] if link['rel'] == 'edit']
    rename = {
        'method': 'PUT',
        'headers': {'Content-Type': edit['type']},
        'body': json.dumps({'name': 'renamed by a script'}),
    }

    refused = browser.fetch(edit['href'], **rename)
    assert refused['status'] == 403, refused
    assert_untouched(accounts, appliance)
    # NOTE: the page's own token is what lets the same request through
    rename['headers']['X-CSRF-Token'] = csrf
    accepted = browser.fetch(edit['href'], **rename)
    assert accepted['status'] == 200, accepted
    now = accounts.demo.get(appliance.link('self')).doc
    assert now['name'] == 'renamed by a script'


# NOTE: localhost is another site than 127.0.0.1 (Sec-Fetch-Site: cross-site);
# 127.0.0.1 on another port is the same site but another origin.
@pytest.mark.parametrize('host', ['localhost', '127.0.0.1'], ids=['site', 'origin'])
def test_a_form_posted_from_another_origin_is_refused(
    browser, accounts, appliance, other_origin, host
):
    browser.use_basic(*DEMO)
    browser.open(appliance.link('self'))
    # NOTE: even the caller's own valid csrf value does not help another origin
    csrf = browser.find('form.action[data-rel="deploy"] input[name="csrf"]')
    deploy = appliance.link('deploy')
    attack = ATTACK.format(
        action=html.escape(deploy), csrf=html.escape(csrf.get_attribute('value'))
    )

    browser.open(other_origin(host, attack))
    browser.wait(
        lambda: browser.driver.current_url == deploy, 'the form was not posted'
    )

    assert browser.find('#errors li[data-code="403-FORBIDDEN"]').text
    assert_untouched(accounts, appliance)


def test_a_sign_in_posted_from_another_site_is_refused(
    browser, served, accounts, other_origin
):
    # NOTE: signing a victim in as the attacker (login CSRF) is refused too
    secret = accounts.demo.new_token(served.root, 'attacker')
    form = ATTACK.replace('name="csrf"', 'name="token"')
    attack = form.format(action=html.escape(served.root + 'signin'), csrf=secret)

    browser.open(other_origin('localhost', attack))
    browser.wait(
        lambda: browser.driver.current_url == served.root + 'signin',
        'the form was not posted',
    )

    assert browser.find('#errors li[data-code="403-FORBIDDEN"]').text
    assert not browser.driver.get_cookies()


def assert_untouched(accounts, appliance) -> None:
    """Check by the API that the appliance did not change, nor run a task."""
    assert appliance.doc['state'] == 'NOT_DEPLOYED'
    assert accounts.demo.get(appliance.link('self')).doc == appliance.doc
    assert accounts.demo.get(appliance.link('tasks')).doc['totalSize'] == 0
