"""Memory is bounded by configuration, not by input (API.md section 11).

No cache is keyed by, or keeps, what a client may make as large as it likes,
and every cache has a bound in entries and in bytes; an error message quotes
at most 200 characters of the request.
"""

from __future__ import annotations

import http.client
import types
import urllib.parse
from pathlib import Path

import falcon
import falcon.testing
import pytest

from abiq.caches import BoundedCache
from abiq.config import Config
from abiq.db import taskstatements
from abiq.errors import quoted
from abiq.finished import FinishedTasks
from abiq.links import DIRECT_BASES
from abiq.links import base_url
from abiq.media import MAX_ACCEPT
from abiq.media import MediaTypeError
from abiq.media import Negotiator
from abiq.resources.openapi import OpenApi
from abiq.signals import AccountEvents
from tests.factories import make_tasks
from tests.served import demo_server

MIB = 1024 * 1024
TASK_JSON = 'application/vnd.abiq.task+json'
FILLER = 'Z'  # in no message of abiq's own


def _rss(pid: int) -> int:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
    raise AssertionError('no VmRSS')


def _status(port: int, accept: str) -> int:
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        conn.request('GET', '/api/tasks', headers={'Accept': accept})
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def _huge_accept(number: int) -> str:
    """Return a distinct Accept header of ~190 KB (7,000 vendor types)."""
    types_ = (f'application/vnd.r{number}x{index}+json' for index in range(7000))
    return ','.join(types_)[:190_000]


def test_huge_distinct_accept_headers_leave_rss_within_60_mib(tmp_path):
    with demo_server(tmp_path) as served:
        port = urllib.parse.urlsplit(served.root).port
        # NOTE: warm up the server's buffers and allocator with a few of the
        # same requests, so what is measured is what the requests keep.
        for number in range(5):
            _status(port, 'application/json')
            _status(port, _huge_accept(-number - 1))
        before = _rss(served.pid)
        statuses = {_status(port, _huge_accept(number)) for number in range(60)}
        grown = _rss(served.pid) - before
    assert 500 not in statuses, statuses
    assert grown < 60 * MIB, f'RSS grew by {grown / MIB:.1f} MiB'


def test_a_bounded_cache_keeps_its_entry_bound():
    cache: BoundedCache[int] = BoundedCache(entries=10, max_bytes=10**9)
    for number in range(1000):
        cache.put(number, number, size=1)
    assert len(cache) == 10
    assert cache.get(999) == 999 and cache.get(0) is None


def test_a_bounded_cache_keeps_its_byte_bound():
    cache: BoundedCache[str] = BoundedCache(entries=10**6, max_bytes=10_000)
    for number in range(1000):
        cache.put(number, 'x' * 300, size=300)
    assert cache.nbytes <= 10_000 and len(cache) == 10_000 // 300
    cache.put('huge', 'x', size=10_001)
    assert cache.get('huge') is None and cache.nbytes <= 10_000


def test_a_bounded_cache_drops_the_least_recently_used():
    cache: BoundedCache[int] = BoundedCache(entries=2, max_bytes=100)
    cache.put('a', 1, size=1)
    cache.put('b', 2, size=1)
    cache.get('a')
    cache.put('c', 3, size=1)
    assert (cache.get('a'), cache.get('b'), cache.get('c')) == (1, None, 3)


def test_negotiation_keeps_its_bounds_and_no_long_header():
    negotiator = Negotiator('abiq', (1, 2), entries=100, max_bytes=50_000)
    for number in range(1000):
        negotiator.negotiate(f'application/vnd.x{number}+json, */*', 'task')
    assert len(negotiator.answers) <= 100
    assert negotiator.answers.nbytes <= 50_000
    negotiator.answers.clear()
    unacceptable = 'text/plain, ' * 40  # over 256 characters
    negotiator.negotiate(unacceptable + 'application/json', 'task')
    with pytest.raises(MediaTypeError):
        negotiator.negotiate(unacceptable, 'task')
    assert len(negotiator.answers) == 0


def test_an_accept_over_the_limit_is_refused_unparsed():
    negotiator = Negotiator('abiq', (1, 2))
    with pytest.raises(MediaTypeError) as raised:
        negotiator.negotiate('application/json,' * MAX_ACCEPT, 'task')
    assert raised.value.status == 431
    assert raised.value.code == '431-REQUEST-HEADER-FIELDS-TOO-LARGE'
    assert len(negotiator.answers) == 0


def _request(host: str) -> falcon.Request:
    return falcon.Request(falcon.testing.create_environ(headers={'Host': host}))


def test_base_urls_keep_their_bounds_and_no_long_host():
    DIRECT_BASES.clear()
    config = Config()
    for number in range(DIRECT_BASES.entries * 4):
        base_url(_request(f'h{number}.example.com'), config)
    assert len(DIRECT_BASES) <= DIRECT_BASES.entries
    assert DIRECT_BASES.nbytes <= DIRECT_BASES.max_bytes
    DIRECT_BASES.clear()
    long_host = 'a' * 300 + '.example.com'
    assert base_url(_request(long_host), config) == 'http://falconframework.org/api'
    assert len(DIRECT_BASES) == 0


def _finished(body: bytes) -> tuple[types.SimpleNamespace, falcon.Response]:
    task = types.SimpleNamespace(
        status='finished', enterprise_id=1, expires_at=None, revision=1
    )
    resp = falcon.Response()
    resp.data = body
    resp.set_header('ETag', '"1"')
    return task, resp


def test_finished_tasks_keep_their_bounds():
    finished = FinishedTasks(AccountEvents(), size=50, max_bytes=1 * MIB)
    for number in range(200):
        finished.keep(('task', number), *_finished(b'x' * 100_000), epoch=0)
    assert finished.answers.nbytes <= 1 * MIB
    assert len(finished.answers) <= 1 * MIB // 100_000
    for number in range(200):
        finished.keep(('small', number), *_finished(b'{}'), epoch=0)
    assert len(finished.answers) <= 50


def test_openapi_documents_keep_their_bounds(_default_app):
    resource = next(r for _, r in _default_app.routes if isinstance(r, OpenApi))
    for number in range(resource.bodies.entries + 20):
        resource._body(f'http://h{number}.example.com/api')
    assert len(resource.bodies) <= resource.bodies.entries
    assert resource.bodies.nbytes <= resource.bodies.max_bytes


def test_page_sizes_share_a_few_job_queries(api, world):
    make_tasks(world.acme, world.alice, 70)
    tasks = api.get('/').link('tasks')
    taskstatements._FOR_IDS.clear()
    for limit in range(2, 70):
        api.get(f'{tasks}?limit={limit}', status=200)
    # NOTE: one statement per power of two (2..128), not one per page size,
    # of the rows and of the jobs of a page's tasks.
    kinds = [kind for kind, _ in taskstatements._FOR_IDS]
    assert kinds.count('jobs') <= 7 and kinds.count('tasks') <= 7


def test_quoted_keeps_at_most_200_characters():
    assert quoted('short') == 'short'
    text = 'a' * 5_000 + 'the end'
    shown = quoted(text)
    assert len(shown) == 200 and shown.endswith('the end')
    assert shown.startswith('a' * 149 + '\u2026')


LONG = FILLER * 10_000


def _send(api, tasks_url: str, case: str):
    if case == 'accept':
        return api.get(tasks_url, accept=f'application/{FILLER * 8_000}')
    if case == 'content-type':
        return api.post(tasks_url, b'{}', content_type=f'application/{LONG}')
    if case == 'too-long-value':
        body = {'type': 'A', 'description': LONG}
        return api.post(tasks_url, body, content_type=TASK_JSON)
    if case == 'malformed-xml':
        body = f'<{LONG}></task>'.encode()
        return api.post(tasks_url, body, content_type='application/xml')
    if case == 'target-href':
        body = {'type': 'A', 'links': [{'rel': 'target', 'href': LONG}]}
        return api.post(tasks_url, body, content_type=TASK_JSON)
    parameter = {'by': 'by', 'status': 'status', 'startwith': 'startwith'}[case]
    return api.get(f'{tasks_url}?{parameter}={LONG}')


@pytest.mark.parametrize(
    ('case', 'status'),
    [
        ('accept', 406),
        ('content-type', 415),
        ('too-long-value', 400),
        ('malformed-xml', 400),
        ('target-href', 400),
        ('by', 400),
        ('status', 400),
        ('startwith', 400),
    ],
)
def test_errors_quote_at_most_200_characters_of_the_request(api, case, status):
    tasks_url = api.get('/').link('tasks')
    answer = _send(api, tasks_url, case)
    assert answer.status == status, answer.body[:300]
    assert answer.media[0] == 'errors'
    for item in answer.doc['collection']:
        assert item['message'].count(FILLER) <= 200, item['message'][:300]
    assert len(answer.body) < 2_000


@pytest.mark.parametrize('accept', ['application/xml', 'application/json'])
def test_an_accept_over_8192_characters_is_431_in_json(api, accept):
    long_accept = accept + ',' + 'text/plain,' * 1_000
    answer = api.get('/', accept=long_accept, status=431)
    assert answer.codes == ['431-REQUEST-HEADER-FIELDS-TOO-LARGE']
    assert answer.media == ('errors', 'json', 2)
    assert FILLER not in answer.doc['collection'][0]['message']
