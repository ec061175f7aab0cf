"""A browser gets the root as a page of the caller's links (API.md section
12), with the raw formats one click away; the tab's credentials go with the
page's own requests."""

from __future__ import annotations

import json

from tests.browser.support import DEMO
from tests.support import basic


def test_the_root_is_a_page_of_the_links_the_json_offers(browser, served, accounts):
    browser.use_basic(*DEMO)
    browser.open(served.root)
    browser.screenshot('root')

    assert browser.find('main#main').is_displayed()
    assert browser.find('h1').text
    assert browser.find('#caller').text == 'demo'
    assert browser.field('name') == 'abiq'
    offered = {link['rel'] for link in accounts.demo.get(served.root).doc['links']}
    assert browser.rels() == offered
    assert not {'enterprises', 'diagnostics'} & browser.rels()
    assert not browser.find_all('#diagnostics-form')


def test_the_tab_sends_its_credentials_with_the_pages_requests(browser, other_origin):
    # NOTE: the harness itself, on a page of the tests' own server
    browser.use_basic(*DEMO)
    browser.open(other_origin('127.0.0.1', '<!doctype html><title>echo</title>'))

    echoed = browser.fetch('/echo')

    assert (echoed['status'], echoed['body']) == (200, basic(*DEMO))
    browser.forget()
    browser.open(other_origin('127.0.0.1', '<!doctype html><title>echo</title>'))
    assert browser.fetch('/echo')['status'] == 404


def test_the_page_fetches_with_the_tabs_credentials(browser, served):
    browser.use_basic(*DEMO)
    browser.open(served.root)

    page = browser.fetch(served.root, headers={'Accept': 'text/html'})
    answer = browser.fetch(served.root, headers={'Accept': 'application/json'})

    assert page['status'] == 200
    assert page['type'].startswith('text/html'), page['type']
    assert 'Accept' in page['vary'], page['vary']
    assert answer['status'] == 200, answer
    links = json.loads(answer['body'])['links']
    assert {'rel': 'currentuser', 'title': 'demo'}.items() <= next(
        link for link in links if link['rel'] == 'currentuser'
    ).items()


def test_the_raw_formats_show_the_same_resource_in_the_page(browser, served, accounts):
    browser.use_basic(*DEMO)
    browser.open(served.root)
    browser.script('window.__marker = 1')

    browser.find('#raw-json').click()
    shown = browser.wait(lambda: browser.find('#raw-view').text, 'no JSON shown')
    assert json.loads(shown) == accounts.demo.get(served.root).doc

    browser.find('#raw-xml').click()
    xml = browser.wait(lambda: _xml(browser.find('#raw-view').text), 'no XML shown')
    assert '<name>abiq</name>' in xml, xml[:300]
    # NOTE: shown by the page's script, not by loading another page
    assert browser.script('return window.__marker') == 1


def _xml(text: str) -> str | None:
    return text if text.lstrip().startswith('<') else None
