"""Helpers of the browser tests: a JSON client of the served API (to set up
and to check what a page did), and a page driver with waits, sign-in,
accessibility checks and screenshots.

The pages follow the DOM contract of the HTML view (issue 15): ``<main
id="main">``, fields as ``dd[data-field=name]``, links as ``a[data-rel=rel]``,
actions as ``form.action[data-rel=rel]``, the task page's ``#task-progress``
and ``#task-status``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from typing import TypeVar
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import httpx
from selenium.common.exceptions import StaleElementReferenceException
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from abiq.codec import Codec
from tests.engine_support import eventually
from tests.support import VENDOR_TYPE
from tests.support import Answer
from tests.support import validate_document

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / '.cache' / 'npm' / 'node_modules' / 'axe-core' / 'axe.min.js'
# NOTE: a deploy at the tests' latency takes about a second; the deadline is
# for a loaded CI machine, not the expected time.
WAIT = 20.0
# the demo's user, and the viewer the fixtures add to its enterprise
DEMO = ('demo', 'demo')
VIEWER = ('vera', 'vera-secret')
# a template of the demo data
TEMPLATE = 'alpine-3.20'
TERMINAL = {'finished', 'failed', 'cancelled'}
# axe-core's impacts that fail a page (minor and moderate ones are reported
# by axe but are not errors here)
FAILING_IMPACTS = {'serious', 'critical'}

T = TypeVar('T')

FETCH = """
const [url, init, done] = arguments;
fetch(url, init).then(
  async (resp) => done({status: resp.status, type: resp.headers.get('Content-Type'),
                        vary: resp.headers.get('Vary'), body: await resp.text()}),
  (ex) => done({status: 0, type: null, vary: null, body: String(ex)}));
"""
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document).then(
  (result) => done(result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(' '))}))),
  (ex) => done([{id: 'axe-error', impact: 'critical', help: String(ex), targets: []}]));
"""

# NOTE: what a task page shows, noted by the page itself at every change, in
# sessionStorage: the notes outlive the page, and the page moving to the
# task's result; a note made after a reload is impossible (the observer is
# gone), so notes of the whole run prove the page updated itself in place.
RECORD_TASK = """
const notes = [];
const note = () => {
  notes.push({
    progress: Number(document.getElementById('task-progress').getAttribute('value')),
    status: document.getElementById('task-status').textContent.trim(),
    jobs: Array.from(document.querySelectorAll('#jobs tr[data-job-status]'),
                     (row) => row.dataset.jobStatus)});
  sessionStorage.setItem('abiq-task-notes', JSON.stringify(notes));
};
note();
new MutationObserver(note).observe(document.getElementById('main'),
  {subtree: true, attributes: true, childList: true, characterData: true});
"""


def with_query(url: str, **params: str) -> str:
    """Return a URL with query parameters added to (or replacing) its own."""
    parts = urlsplit(url)
    query = {**dict(parse_qsl(parts.query)), **params}
    return urlunsplit(parts._replace(query=urlencode(query)))


def screenshots_folder() -> Path:
    """Return where screenshots go: ``$ABIQ_SCREENSHOTS`` or .cache/screenshots."""
    folder = Path(os.environ.get('ABIQ_SCREENSHOTS') or REPO / '.cache' / 'screenshots')
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class JsonApi:
    """A JSON client of a served abiq, signed in with one Authorization.

    Every vendor-typed answer is validated against the schema of its
    ``Content-Type``; redirects are not followed (a finished task's 303 is
    an answer to look at).
    """

    def __init__(self, codec: Codec, authorization: str) -> None:
        self.codec = codec
        self.http = httpx.Client(
            headers={'Authorization': authorization, 'Accept': 'application/json'},
            timeout=10,
        )

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        url: str,
        doc: Any = None,
        *,
        content_type: str | None = None,
        status: int | None = None,
    ) -> Answer:
        """Send a request (``doc`` as JSON of ``content_type``); validate it."""
        headers = {'Content-Type': content_type} if content_type else {}
        resp = self.http.request(method, url, json=doc, headers=headers)
        answer = self._validated(resp)
        if status is not None:
            assert answer.status == status, (answer.status, resp.text[:1000])
        return answer

    def get(self, url: str, **kwargs: Any) -> Answer:
        return self.request('GET', url, **kwargs)

    def create(self, collection: Answer, doc: dict[str, Any]) -> Answer:
        """POST ``doc`` to the ``create`` link of a collection; expect 201."""
        (link,) = [lk for lk in collection.doc['links'] if lk['rel'] == 'create']
        return self.request(
            'POST', link['href'], doc, content_type=link['type'], status=201
        )

    def follow(self, answer: Answer, rel: str) -> Answer:
        """GET the link with a rel; expect 200."""
        return self.get(answer.link(rel), status=200)

    def find(self, collection: Answer, **fields: Any) -> dict[str, Any]:
        """Return the one item of a collection page with these fields."""
        (item,) = [
            item
            for item in collection.doc['collection']
            if all(item.get(key) == value for key, value in fields.items())
        ]
        return item

    def new_token(self, root: str, name: str) -> str:
        """Create a token for the signed-in user; return its secret."""
        me = self.follow(self.get(root), 'currentuser')
        return self.create(self.follow(me, 'tokens'), {'name': name}).doc['secret']

    def ended(self, task_url: str) -> Answer:
        """Poll a task until it is terminal; return its last answer."""
        return eventually(lambda: _if_terminal(self.get(task_url)), timeout=WAIT)

    def _validated(self, resp: httpx.Response) -> Answer:
        match = VENDOR_TYPE.match(resp.headers.get('Content-Type', ''))
        if not match or not resp.content:
            return Answer(resp.status_code, resp.headers, resp.content, None, None)
        name, fmt, version = match['name'], match['fmt'], int(match['v'])
        doc = validate_document(self.codec, resp.content, name, fmt, version)
        return Answer(
            resp.status_code, resp.headers, resp.content, doc, (name, fmt, version)
        )


def _if_terminal(answer: Answer) -> Answer | None:
    return answer if answer.doc and answer.doc['status'] in TERMINAL else None


class Browser:
    """One browser tab on the served API, with the tests' vocabulary."""

    def __init__(self, driver: WebDriver, root: str) -> None:
        self.driver = driver
        self.root = root

    # --- signing in -------------------------------------------------------

    def use_basic(self, name: str, password: str) -> None:
        """Send Basic credentials with every request of the tab (page
        loads, form posts and the pages' own fetch() calls)."""
        token = base64.b64encode(f'{name}:{password}'.encode()).decode()
        self.driver.execute_cdp_cmd(
            'Network.setExtraHTTPHeaders',
            {'headers': {'Authorization': f'Basic {token}'}},
        )

    def sign_in_with_token(self, secret: str) -> None:
        """Sign in with a token on the sign-in page; land on the root."""
        self.open(self.root + 'signin')
        self.find('#token').send_keys(secret)
        form = self.find('#token').find_element(By.XPATH, './ancestor::form')
        self.navigating(form.find_element(By.CSS_SELECTOR, '[type=submit]').click)
        self.wait(lambda: self.driver.current_url == self.root, 'not sent to the root')

    def forget(self) -> None:
        """Drop every credential: extra headers, cookies, the open page."""
        self.driver.execute_cdp_cmd('Network.setExtraHTTPHeaders', {'headers': {}})
        self.driver.execute_cdp_cmd('Network.clearBrowserCookies', {})
        origin = '/'.join(self.root.split('/')[:3])
        self.driver.execute_cdp_cmd(
            'Storage.clearDataForOrigin', {'origin': origin, 'storageTypes': 'all'}
        )
        self.driver.get('about:blank')

    # --- reading the page ---------------------------------------------------

    def open(self, url: str) -> None:
        """Load a page; fail when the browser shows none (a download)."""
        self.driver.get(url)
        shown = self.driver.current_url
        assert not shown.startswith(('about:', 'data:')), f'{url} shows no page'

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def field(self, name: str) -> str:
        """Return the text of a field of the shown resource."""
        return self.find(f'dl.fields dd[data-field="{name}"]').text

    def fields(self) -> set[str]:
        """Return the names of the top-level fields the page shows."""
        shown = self.find_all('dl.fields > dd[data-field]')
        return {field.get_attribute('data-field') for field in shown}

    def rels(self) -> set[str]:
        """Return the rels of the page's links (navigation, paging, views)."""
        links = self.find_all('a[data-rel]')
        return {link.get_attribute('data-rel') for link in links}

    def actions(self) -> set[str]:
        """Return the rels of the page's action buttons."""
        return {form.get_attribute('data-rel') for form in self.find_all('form.action')}

    def script(self, source: str, *args: Any) -> Any:
        return self.driver.execute_script(source, *args)

    def fetch(self, url: str, **init: Any) -> dict[str, Any]:
        """Run ``fetch(url, init)`` in the page; return status, type, body."""
        return self.driver.execute_async_script(FETCH, url, init)

    # --- acting ---------------------------------------------------------

    def wait(self, check: Callable[[], T], message: str, timeout: float = WAIT) -> T:
        """Poll ``check`` until it is truthy (elements going stale while the
        page changes are retried); fail with ``message`` at the deadline."""
        waiting = WebDriverWait(
            self.driver,
            timeout,
            poll_frequency=0.05,
            ignored_exceptions=(StaleElementReferenceException,),
        )
        return waiting.until(lambda _: check(), message)

    def navigating(self, action: Callable[[], Any]) -> None:
        """Run an action that loads another page; wait until it is loaded."""
        old = self.find('html')
        action()
        self.wait(lambda: _stale(old), 'the page did not change')
        self.wait(
            lambda: self.script('return document.readyState') == 'complete',
            'the new page did not load',
        )

    def follow(self, rel: str) -> None:
        """Click the (first) link of a rel; wait for its page."""
        link = self.find(f'a[data-rel="{rel}"]')
        href = link.get_attribute('href')
        self.navigating(link.click)
        assert self.driver.current_url == href, (self.driver.current_url, href)

    def act(self, rel: str) -> None:
        """Press the button of an action; wait for the page it leads to."""
        form = self.find(f'form.action[data-rel="{rel}"]')
        self.navigating(form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click)

    def fill(self, form: str, **values: str) -> None:
        """Type into the fields ``#f-{name}`` of a form (cleared first)."""
        for name, value in values.items():
            field = self.find(f'{form} #f-{name}')
            field.clear()
            field.send_keys(value)

    def choose(self, css: str, text: str) -> None:
        """Pick the option of a select whose label shows ``text`` (the
        page may fill the select after it loaded)."""
        select = Select(self.find(css))

        def matching() -> list[int]:
            return [i for i, option in enumerate(select.options) if text in option.text]

        found = self.wait(matching, f'no option of {css} shows {text!r}')
        assert len(found) == 1, [option.text for option in select.options]
        select.select_by_index(found[0])

    def submit(self, form: str) -> None:
        """Press the submit button of a form; wait for the next page."""
        button = self.find(f'{form} [type=submit]')
        self.navigating(button.click)

    def record_task(self) -> None:
        """Note every change of the task page shown (see RECORD_TASK)."""
        self.script(RECORD_TASK)

    def task_notes(self) -> list[dict[str, Any]]:
        """Return the notes of the recorded task page (from any page)."""
        notes = self.script("return sessionStorage.getItem('abiq-task-notes')")
        return json.loads(notes or '[]')

    # --- checks and records ------------------------------------------------

    def assert_accessible(self) -> None:
        """Run axe-core on the page; fail on every serious or critical
        violation, listing its id, help and elements."""
        if not self.script('return typeof axe !== "undefined"'):
            self.script(AXE.read_text(encoding='utf-8'))
        violations = self.driver.execute_async_script(AXE_RUN)
        failing = [v for v in violations if v['impact'] in FAILING_IMPACTS]
        assert not failing, f'{self.driver.current_url}:\n' + '\n'.join(
            f'{v["impact"]} {v["id"]}: {v["help"]} at {v["targets"]}' for v in failing
        )

    def screenshot(self, name: str) -> Path:
        """Save the whole page (not only the window) as ``{name}.png``."""
        size = self.driver.execute_cdp_cmd('Page.getLayoutMetrics', {})[
            'cssContentSize'
        ]
        clip = {'x': 0, 'y': 0, 'width': size['width'], 'height': size['height']}
        shot = self.driver.execute_cdp_cmd(
            'Page.captureScreenshot',
            {
                'format': 'png',
                'captureBeyondViewport': True,
                'clip': {**clip, 'scale': 1},
            },
        )
        path = screenshots_folder() / f'{name}.png'
        path.write_bytes(base64.b64decode(shot['data']))
        return path


def _stale(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as ex:
        # NOTE: asked while the old page is being torn down, Chromium may
        # answer "unhandled inspector error": not gone yet; ask again.
        if 'inspector' in str(ex):
            return False
        raise
    return False
