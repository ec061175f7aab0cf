"""Every kind of page passes axe-core's checks: no serious or critical
accessibility violation (issue 15, scenario e)."""

from __future__ import annotations

import pytest

from tests.browser.support import DEMO

SIGNED_IN = ('root', 'appliances', 'appliance', 'machine', 'task')


@pytest.mark.parametrize('page', SIGNED_IN)
def test_a_page_is_accessible(browser, axe, pages, page):
    browser.use_basic(*DEMO)
    browser.open(pages[page])
    browser.assert_accessible()


def test_the_sign_in_page_is_accessible(browser, axe, served):
    browser.open(served.root + 'signin')
    assert browser.find('#token').is_displayed()
    browser.assert_accessible()


def test_an_error_page_is_accessible(browser, axe, served):
    browser.use_basic(*DEMO)
    browser.open(served.root + 'virtualappliances/999999')
    assert browser.find('#errors li[data-code="404-NOT-FOUND"]').text
    browser.assert_accessible()
