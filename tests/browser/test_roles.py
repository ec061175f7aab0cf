"""A page offers exactly the affordances its JSON offers the caller: a
viewer gets no button and no form, a user the actions it may take (issue
15, scenario c)."""

from __future__ import annotations

import pytest

from tests.browser.support import DEMO
from tests.browser.support import VIEWER

# the pages of the ``pages`` fixture
PAGES = ('root', 'appliances', 'appliance', 'machine', 'task')
# the rels a page shows as buttons (delete and revoke come from ``edit``)
ACTIONS = {'deploy', 'undeploy', 'poweron', 'poweroff', 'reset', 'cancel', 'retry'}


@pytest.mark.parametrize('page', PAGES)
def test_a_viewer_gets_no_button_and_no_form(browser, pages, page):
    browser.use_basic(*VIEWER)
    browser.open(pages[page])

    assert browser.find('#caller').text == VIEWER[0]
    assert browser.find('h1').text
    assert browser.actions() == set()
    assert not browser.find_all('#create-form, #edit-form, #diagnostics-form')
    assert not browser.find_all('form[method=post]:not(#signout-form)')


@pytest.mark.parametrize('page', PAGES)
def test_a_user_gets_the_buttons_and_forms_its_json_offers(
    browser, accounts, pages, page
):
    browser.use_basic(*DEMO)
    browser.open(pages[page])
    rels = {link['rel'] for link in accounts.demo.get(pages[page]).doc['links']}

    assert browser.actions() - {'delete', 'revoke'} == rels & ACTIONS
    assert bool(browser.find_all('#edit-form')) == ('edit' in rels)
    assert bool(browser.find_all('#create-form')) == ('create' in rels)
    for form in browser.find_all('form.action'):
        assert form.find_element('css selector', 'input[name=csrf]').get_attribute(
            'value'
        ), form.get_attribute('data-rel')


@pytest.mark.parametrize('page', PAGES)
@pytest.mark.parametrize('who', [DEMO, VIEWER], ids=['user', 'viewer'])
def test_a_page_shows_every_link_and_field_of_its_json(
    browser, accounts, pages, page, who
):
    browser.use_basic(*who)
    browser.open(pages[page])
    api = accounts.demo if who == DEMO else accounts.viewer
    doc = api.get(pages[page]).doc

    offered = {link['rel'] for link in doc['links']}
    forms = {rel for rel in ('edit', 'create') if browser.find_all(f'#{rel}-form')}
    shown = browser.rels() | browser.actions() | forms
    assert offered <= shown, f'not on the page: {offered - shown}'
    if 'collection' in doc:
        assert browser.find('#total-size').text == str(doc['totalSize'])
    else:
        assert browser.fields() == set(doc) - {'links'}
