"""Text a client stored is shown as text: markup in an appliance's name or a
task's description runs nothing, wherever a page shows it (issue 15,
scenario d; API.md section 12: safe against XSS)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.browser.support import DEMO

# NOTE: an appliance name is any text of 1-128 characters, a task
# description any of up to 1024 (schemas/v2): both may hold markup.
MARKUP = (
    '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    '"><svg onload="window.__xss=3">'
)


@pytest.fixture(scope='module')
def stored(served, accounts) -> dict[str, str]:
    """An appliance named, and a task targeting it described, with markup."""
    demo = accounts.demo
    root = demo.get(served.root)
    name = f'{uuid.uuid4().hex[:6]} {MARKUP}'
    appliance = demo.create(demo.follow(root, 'virtualappliances'), {'name': name})
    task = demo.create(
        demo.follow(root, 'tasks'),
        {
            'type': 'AGENT',
            'description': MARKUP,
            'links': [{'rel': 'target', 'href': appliance.link('self')}],
        },
    )
    return {
        'name': name,
        'appliance': appliance.link('self'),
        'appliances': appliance.link('parent') + '?has=' + name[:6],
        'task': task.link('self'),
        'tasks': appliance.link('tasks'),
    }


@pytest.mark.parametrize('page', ['appliance', 'appliances', 'task', 'tasks'])
def test_markup_stored_by_a_client_is_shown_as_text(browser, stored, page):
    browser.use_basic(*DEMO)
    browser.open(stored[page])

    assert MARKUP in browser.find('main#main').text
    assert browser.script('return typeof window.__xss') == 'undefined'
    assert not browser.find_all('main img[src="x"], main svg[onload]')
    if page == 'appliance':
        assert browser.field('name') == stored['name']
    if page == 'task':
        assert browser.field('description') == MARKUP


def test_markup_in_the_raw_view_is_shown_as_text(browser, stored, accounts):
    browser.use_basic(*DEMO)
    browser.open(stored['appliance'])

    browser.find('#raw-json').click()
    shown = browser.wait(lambda: browser.find('#raw-view').text, 'no JSON shown')
    assert json.loads(shown)['name'] == stored['name']
    browser.find('#raw-xml').click()
    browser.wait(
        lambda: html_escaped(stored['name']) in browser.find('#raw-view').text,
        'the XML does not show the name',
    )
    assert browser.script('return typeof window.__xss') == 'undefined'
    assert not browser.find_all('#raw-view img, #raw-view svg, #raw-view script')


def html_escaped(text: str) -> str:
    """Return text as XML shows it in an element (&, < and > escaped)."""
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
