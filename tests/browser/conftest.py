"""Fixtures of the browser tests: one served demo and one headless Chromium
per test session (xdist worker), a fresh tab state per test, and API clients
for the demo's accounts.

The server and the browser are shared to keep the suite fast; every test
makes the appliances, machines and tasks it changes, so none depends on
another's.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

from abiq.codec import Codec
from abiq.config import Config
from tests.browser.support import AXE
from tests.browser.support import REPO
from tests.browser.support import VIEWER
from tests.browser.support import Browser
from tests.browser.support import JsonApi
from tests.domain_support import link_of
from tests.served import Served
from tests.served import demo_server
from tests.support import basic

CHROMIUM = Path('/usr/bin/chromium')
CHROMEDRIVER = Path('/usr/bin/chromedriver')
CHROMIUM_ARGS = (
    '--headless=new',
    '--no-sandbox',
    '--disable-dev-shm-usage',
    '--window-size=1280,900',
)
# NOTE: seconds per simulated job: a deploy (3 jobs) shows its progress in a
# page for about a second, long enough to be seen, short enough to be fast.
SIM_LATENCY = '0.4'
# NOTE: a task page long-polls (Prefer: wait); a page left while its task
# runs holds its server thread until the wait ends, and the server's exit
# waits for it: short waits keep the session's end quick.
MAX_WAIT = '3'


@dataclass(frozen=True)
class Accounts:
    """API clients of the served demo, one per role."""

    admin: JsonApi
    demo: JsonApi
    viewer: JsonApi
    admin_password: str


@pytest.fixture(scope='session')
def served(tmp_path_factory) -> Iterator[Served]:
    """A real ``abiq serve`` of the demo data, for the whole session."""
    workdir = tmp_path_factory.mktemp('browser')
    with demo_server(
        workdir, ABIQ_SIM_LATENCY=SIM_LATENCY, ABIQ_MAX_WAIT=MAX_WAIT
    ) as served:
        yield served


@pytest.fixture(scope='session')
def accounts(served) -> Iterator[Accounts]:
    """The admin, the demo user, and a viewer made in the demo enterprise."""
    codec = Codec(Config())
    password = served.env['ABIQ_ADMIN_PASSWORD']
    admin = JsonApi(codec, basic('admin', password))
    demo = JsonApi(codec, basic('demo', 'demo'))
    enterprise = demo.follow(demo.get(served.root, status=200), 'enterprise')
    users = admin.follow(enterprise, 'users')
    name, secret = VIEWER
    admin.create(
        users,
        {
            'name': name,
            'role': 'viewer',
            'email': f'{name}@example.com',
            'password': secret,
        },
    )
    viewer = JsonApi(codec, basic(name, secret))
    yield Accounts(admin, demo, viewer, password)
    for api in (admin, demo, viewer):
        api.close()


@pytest.fixture(scope='session')
def pages(served, accounts) -> dict[str, str]:
    """The URL of a page of each kind, in the demo enterprise."""
    demo = accounts.demo
    root = demo.get(served.root)
    appliances = demo.follow(root, 'virtualappliances')
    appliance = demo.find(appliances, name='demo-app')
    machines = demo.get(link_of(appliance, 'virtualmachines'))
    task = demo.create(
        demo.follow(root, 'tasks'), {'type': 'AGENT', 'description': 'seen by all'}
    )
    return {
        'root': served.root,
        'appliances': appliances.link('self'),
        'appliance': link_of(appliance, 'self'),
        'machine': link_of(demo.find(machines, name='web'), 'self'),
        'task': task.link('self'),
    }


@pytest.fixture(scope='session')
def chrome() -> Iterator[webdriver.Chrome]:
    """A headless Chromium driven by chromedriver (Debian's packages)."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.skip(
            f'the browser tests need Debian chromium and chromium-driver '
            f'({", ".join(missing)} missing; .ci/run installs them)'
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    except WebDriverException as ex:
        pytest.skip(f'chromium would not start under chromedriver: {ex.msg}')
    # NOTE: Network.setExtraHTTPHeaders (Browser.use_basic) needs the domain on.
    driver.execute_cdp_cmd('Network.enable', {})
    # NOTE: bounds for a page that never loads and a script that never
    # calls back (a fetch() waiting on a 401's Basic prompt, say)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chrome, served) -> Iterator[Browser]:
    """The shared tab, signed out, on a blank page."""
    tab = Browser(chrome, served.root)
    tab.forget()
    yield tab
    tab.forget()


@pytest.fixture(scope='session')
def axe() -> Path:
    """Install axe-core into .cache/npm once (reused); skip without npm."""
    if not (shutil.which('node') and shutil.which('npm')):
        pytest.skip('Node.js and npm are needed to install axe-core')
    installed = subprocess.run(
        [str(REPO / 'tests' / 'js' / 'install.sh')],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if installed.returncode != 0 or not AXE.exists():
        pytest.skip(f'npm could not install axe-core: {installed.stderr[-500:]}')
    return AXE


@pytest.fixture
def other_origin() -> Iterator[Callable[[str, str], str]]:
    """A second web server on loopback: ``page(host, html)`` serves a page
    and returns its URL; its ``/echo`` answers the Authorization it got."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == '/echo':
                body = (self.headers.get('Authorization') or '').encode()
            else:
                body = pages.get(self.path, b'')
            self.send_response(200 if body else 404)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def page(host: str, text: str) -> str:
        path = f'/{len(pages)}'
        pages[path] = text.encode()
        return f'http://{host}:{server.server_port}{path}'

    yield page
    server.shutdown()
    server.server_close()
