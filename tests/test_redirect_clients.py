"""Generic HTTP clients follow a task's 303 to its result (API.md section 10).

Each client starts at the root of a real ``abiq serve``, follows links by rel
(asking for each link's ``type``) to the demo appliance, POSTs the action it
offers and GETs the task with the task ``Accept``, following redirects by
itself, until it lands on the appliance. Every document read is validated
against the schema of its ``Content-Type``.
"""

from __future__ import annotations

import base64
import re
import subprocess
import textwrap
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from abiq.codec import Codec
from abiq.config import Config
from tests.domain_support import link_of
from tests.engine_support import eventually
from tests.served import demo_server
from tests.support import VENDOR_TYPE
from tests.support import validate_document

AUTH = ('demo', 'demo')
TIMEOUT = 10
FORMATS = [('json', 1), ('json', 2), ('xml', 1), ('xml', 2)]
# what an appliance reads once the action it offered has ended
ENDS_IN = {'deploy': 'DEPLOYED', 'undeploy': 'NOT_DEPLOYED'}
TASKS_PAGE = Path(__file__).resolve().parent.parent / 'docs' / 'tasks.rst'
PAGE_ROOT = 'http://127.0.0.1:8080/api/'
LITERAL = re.compile(r'::\n\n((?:(?:   .*)?\n)+)')


@dataclass(frozen=True)
class Landed:
    """Where a client landed: status, final URL, ``Content-Type``, body."""

    status: int
    url: str
    content_type: str
    body: bytes


#: send(method, url, accept) -> where the client landed, redirects followed
Send = Callable[[str, str, str], Landed]


def with_requests(session: requests.Session) -> Send:
    def send(method: str, url: str, accept: str) -> Landed:
        resp = session.request(
            method, url, headers={'Accept': accept}, auth=AUTH, timeout=TIMEOUT
        )
        content_type = resp.headers.get('Content-Type', '')
        return Landed(resp.status_code, resp.url, content_type, resp.content)

    return send


def with_httpx(client: httpx.Client) -> Send:
    def send(method: str, url: str, accept: str) -> Landed:
        resp = client.request(method, url, headers={'Accept': accept})
        content_type = resp.headers.get('Content-Type', '')
        return Landed(resp.status_code, str(resp.url), content_type, resp.content)

    return send


def with_urllib() -> Send:
    token = base64.b64encode(':'.join(AUTH).encode()).decode()

    def send(method: str, url: str, accept: str) -> Landed:
        # NOTE: urllib answers 401 challenges only; send the credentials
        # up front, as the redirect handler carries them on (same host).
        headers = {'Accept': accept, 'Authorization': f'Basic {token}'}
        request = urllib.request.Request(url, headers=headers, method=method)
        try:
            resp = urllib.request.urlopen(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as error:
            resp = error
        with resp:
            content_type = resp.headers.get('Content-Type', '')
            return Landed(resp.status, resp.geturl(), content_type, resp.read())

    return send


def with_curl() -> Send:
    def send(method: str, url: str, accept: str) -> Landed:
        # NOTE: -X only for the POST (answered 202): with -L, -X would keep
        # the method on a 303 where curl otherwise switches to GET.
        command = ['curl', '-sS', '-L', '-u', ':'.join(AUTH), '-H', f'Accept: {accept}']
        command += ['-X', 'POST'] if method == 'POST' else []
        command += ['-w', '\n%{http_code} %{url_effective} %{content_type}', url]
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=True)
        body, _, meta = done.stdout.rpartition(b'\n')
        status, final, content_type = meta.decode().split(' ', 2)
        return Landed(int(status), final, content_type, body)

    return send


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    """One server for the module (simulated steps of 0.05 s)."""
    with demo_server(tmp_path_factory.mktemp('redirect-clients')) as server:
        yield server


@pytest.fixture(scope='module')
def codec() -> Codec:
    return Codec(Config())


@pytest.fixture(params=['requests', 'httpx', 'urllib', 'curl'])
def send(request) -> Send:
    if request.param == 'requests':
        with requests.Session() as session:
            yield with_requests(session)
    elif request.param == 'httpx':
        with httpx.Client(auth=AUTH, follow_redirects=True, timeout=TIMEOUT) as client:
            yield with_httpx(client)
    else:
        yield {'urllib': with_urllib, 'curl': with_curl}[request.param]()


def read(codec: Codec, landed: Landed, name: str, fmt: str, version: int) -> Any:
    """Check a 200 or 202 answer is ``name`` as asked; return its document."""
    assert landed.status in (200, 202), (landed.status, landed.body[:500])
    match = VENDOR_TYPE.match(landed.content_type)
    assert match, landed.content_type
    assert (match['name'], match['fmt'], int(match['v'])) == (name, fmt, version)
    return validate_document(codec, landed.body, name, fmt, version)


def follow(send: Send, codec: Codec, doc: Any, rel: str, name: str, version: int):
    """GET a link of a document with its ``type``; return what it reads."""
    link = next(link for link in doc['links'] if link['rel'] == rel)
    landed = send('GET', link['href'], f'{link["type"]}; version={version}')
    return read(codec, landed, name, link['type'].rpartition('+')[2], version)


def demo_appliance(send: Send, codec: Codec, root: str, fmt: str, version: int):
    """Reach the demo appliance from the root through links only."""
    accept = f'application/vnd.abiq.api+{fmt}; version={version}'
    api = read(codec, send('GET', root, accept), 'api', fmt, version)
    page = follow(send, codec, api, 'virtualappliances', 'virtualappliances', version)
    (item,) = [item for item in page['collection'] if item['name'] == 'demo-app']
    return follow(send, codec, item, 'self', 'virtualappliance', version)


@pytest.mark.parametrize(('fmt', 'version'), FORMATS)
def test_a_client_following_the_303_lands_on_the_result(
    served, codec, send, fmt, version
):
    vapp = demo_appliance(send, codec, served.root, fmt, version)
    action = next(rel for rel in ENDS_IN if link_of(vapp, rel))
    accept = f'application/vnd.abiq.task+{fmt}; version={version}'
    started = send('POST', link_of(vapp, action), accept)
    assert started.status == 202, (started.status, started.body[:500])
    task_url = link_of(read(codec, started, 'task', fmt, version), 'self')

    def landed() -> Landed | None:
        answer = send('GET', task_url, accept)
        if answer.url != task_url:
            return answer
        # NOTE: a task still at work answers 200 with itself
        task = read(codec, answer, 'task', fmt, version)
        assert task['status'] in ('pending', 'running'), task
        return None

    result = eventually(landed, timeout=30, interval=0.05)
    assert result.url == link_of(vapp, 'self')
    doc = read(codec, result, 'virtualappliance', fmt, version)
    assert result.status == 200 and doc['state'] == ENDS_IN[action], doc
    assert link_of(doc, 'self') == link_of(vapp, 'self')


def python_examples() -> list[str]:
    """Return the Python literal blocks of docs/tasks.rst, in order."""
    found = LITERAL.findall(TASKS_PAGE.read_text())
    blocks = (textwrap.dedent(block) for block in found)
    return [block for block in blocks if block.startswith('import ')]


@pytest.mark.parametrize('index', [0, 1], ids=['requests', 'httpx'])
def test_the_python_examples_of_the_tasks_page_land_on_the_result(
    served, capsys, index
):
    example = python_examples()[index]
    namespace: dict[str, Any] = {}
    exec(example.replace(PAGE_ROOT, served.root), namespace)  # noqa: S102
    if 'client' in namespace:
        namespace['client'].close()
    printed = capsys.readouterr().out.splitlines()
    expected = re.findall(r'^# (.*)$', example, flags=re.MULTILINE)
    assert len(printed) == len(expected), (printed, expected)
    for line, shown in zip(printed, expected, strict=True):
        # NOTE: the page shows a deploy; run after another test, it may undeploy
        assert line.replace('NOT_DEPLOYED', 'DEPLOYED') == shown, (line, shown)
