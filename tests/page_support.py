"""Pages of the HTML view as a browser gets them, checked against the JSON
twin of the same resource (which is validated against its schema)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import lxml.html

from tests.support import BASE
from tests.support import Answer
from tests.support import Api

#: what Chromium and Firefox send when they open a page
BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
FORM = 'application/x-www-form-urlencoded'
ORIGIN = BASE.split('/api')[0]


@dataclass
class Page:
    """A page: its answer and its parsed tree."""

    answer: Answer
    tree: Any

    @property
    def status(self) -> int:
        return self.answer.status

    def texts(self, xpath: str) -> list[str]:
        return [node.text_content().strip() for node in self.tree.xpath(xpath)]

    def field(self, name: str) -> str:
        (text,) = self.texts(f'//dd[@data-field="{name}"]')
        return text

    def rels(self) -> set[str]:
        return {a.get('data-rel') for a in self.tree.xpath('//a[@data-rel]')}

    def buttons(self) -> list[str]:
        return [
            form.get('data-rel') for form in self.tree.xpath('//form[@class="action"]')
        ]

    def button(self, rel: str) -> Any:
        (form,) = self.tree.xpath(f'//form[@class="action"][@data-rel="{rel}"]')
        return form

    def form(self, form_id: str) -> Any:
        (form,) = self.tree.xpath(f'//form[@id="{form_id}"]')
        return form

    def has(self, xpath: str) -> bool:
        return bool(self.tree.xpath(xpath))

    def values(self, form: Any) -> dict[str, str]:
        """Return what a form sends as it stands (lxml's form_values)."""
        return dict(form.form_values())


class Browser:
    """A browser's requests: its Accept, its Origin on writes, forms."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def as_user(self, api: Api) -> Browser:
        return Browser(api)

    def get(self, url: str, status: int = 200, **headers: str) -> Page:
        answer = self.api.get(url, accept=BROWSER, headers=headers, status=status)
        return self._page(answer)

    def submit(
        self, action: str, fields: dict[str, str], status: int, **headers: str
    ) -> Answer:
        """Send a form as a browser does (its Origin is the page's)."""
        headers = {'Origin': ORIGIN, 'Sec-Fetch-Site': 'same-origin', **headers}
        answer = self.api.post(
            action,
            urlencode(fields),
            accept=BROWSER,
            content_type=FORM,
            headers=headers,
        )
        assert answer.status == status, (answer.status, answer.body[:3000])
        return answer

    def send(self, form: Any, status: int, **changes: str) -> Answer:
        """Submit a page's form with some fields changed."""
        return self.submit(
            form.get('action'), {**dict(form.form_values()), **changes}, status
        )

    def page_of(self, answer: Answer) -> Page:
        return self._page(answer)

    def _page(self, answer: Answer) -> Page:
        headers = answer.headers
        assert headers['Content-Type'] == 'text/html; charset=utf-8', headers
        assert 'Accept' in headers.get('Vary', '')
        policy = headers['Content-Security-Policy']
        assert "script-src 'self'" in policy and 'unsafe-inline' not in policy
        tree = lxml.html.fromstring(answer.body)
        # NOTE: the only scripts are abiq's own file: nothing inline.
        for script in tree.xpath('//script'):
            assert script.get('src') and not (script.text or '').strip()
        return Page(answer, tree)


def twin(api: Api, url: str) -> Answer:
    """Return the JSON answer of the same URL (validated by the schema)."""
    return api.get(url, accept='application/json', status=200)


def shows_the_document(page: Page, doc: dict[str, Any]) -> None:
    """Assert a page shows every field and every link of its document."""
    hrefs = {a.get('href') for a in page.tree.xpath('//a')}
    hrefs |= {form.get('action') for form in page.tree.xpath('//form')}
    for link in doc['links']:
        if link['rel'] != 'describedby':
            assert link['href'] in hrefs, link
    shown = set(page.tree.xpath('//dd/@data-field'))
    fields = {key for key in doc if key not in ('links', 'collection', 'secret')}
    assert fields <= shown, fields - shown
