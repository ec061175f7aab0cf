"""gzip for bodies over 1 KiB, to clients that ask; weak ETags when so."""

from __future__ import annotations

import gzip

import webob

from tests.factories import make_tasks
from tests.support import BASE
from tests.support import validate_document

GZIP = {'Accept-Encoding': 'gzip, deflate'}
TASK_XML = 'application/vnd.abiq.task+xml'


def raw(api, url: str, method: str = 'GET', **headers: str) -> webob.Response:
    """Send a request as alice, as sent over the wire: no decoding.

    NOTE: webtest gunzips every answer before a test sees it.
    """
    url = url if url.startswith('http') else BASE + url
    req = webob.Request.blank(url, method=method)
    req.headers.update({'Authorization': api.auth, **headers})
    return req.get_response(api.test_app.app)


def vary(answer) -> list[str]:
    return [name.strip() for name in answer.headers.get('Vary', '').split(',')]


def task_href(api, world) -> str:
    # NOTE: a long description keeps the task's XML over 1 KiB.
    make_tasks(world.acme, world.alice, 1, description='a long task ' * 60)
    task = api.get('/tasks', status=200).doc['collection'][0]
    return next(lk['href'] for lk in task['links'] if lk['rel'] == 'self')


def test_a_large_body_is_gzipped_when_asked(api, world):
    plain = api.get('/', status=200)
    assert len(plain.body) > 1024
    assert 'Content-Encoding' not in plain.headers
    # NOTE: the answer could have been gzipped: a cache must know it varies.
    assert vary(plain) == ['Accept', 'Accept-Encoding']
    packed = raw(api, '/', **GZIP)
    assert packed.headers['Content-Encoding'] == 'gzip'
    assert vary(packed) == ['Accept', 'Accept-Encoding']
    body = gzip.decompress(packed.body)
    assert len(packed.body) < len(body) == len(plain.body)
    assert int(packed.headers['Content-Length']) == len(packed.body)
    validate_document(api.codec, body, 'api', 'json', 2)


def test_a_small_body_is_never_gzipped(api, world):
    missing = api.get('/tasks/nope', headers=GZIP, status=404)
    assert len(missing.body) <= 1024
    assert 'Content-Encoding' not in missing.headers
    assert vary(missing) == ['Accept']


def test_head_answers_what_get_would(api, world):
    get = raw(api, '/', **GZIP)
    head = raw(api, '/', 'HEAD', **GZIP)
    assert head.status_int == get.status_int == 200
    assert head.body == b''
    for name in ('Content-Encoding', 'Content-Length', 'Vary', 'Link'):
        assert head.headers[name] == get.headers[name], name


def test_a_gzipped_answer_has_a_distinct_strong_etag(api, world):
    href = task_href(api, world)
    plain = api.get(href, accept=TASK_XML, status=200)
    packed = raw(api, href, Accept=TASK_XML, **GZIP)
    assert packed.headers['Content-Encoding'] == 'gzip'
    assert packed.headers['ETag'] == plain.headers['ETag'][:-1] + '-gzip"'
    # NOTE: a 304 carries the ETag the 200 would have (RFC 9110 15.4.5).
    for tag in (packed.headers['ETag'], plain.headers['ETag']):
        again = raw(api, href, Accept=TASK_XML, **GZIP, **{'If-None-Match': tag})
        assert again.status_int == 304
        assert again.body == b''
        assert 'Content-Encoding' not in again.headers
        assert again.headers['ETag'] == tag


def test_the_etag_of_a_gzip_body_guards_a_write(api, world):
    create = api.get(api.get('/', status=200).link('tasks'), status=200).link('create')
    made = api.post(
        create,
        {'type': 'AGENT', 'description': 'external', 'log': 'a long log ' * 200},
        content_type='application/json',
        status=201,
    )
    edit = made.link('edit')
    packed = raw(api, made.link('self'), **GZIP)
    assert packed.headers['Content-Encoding'] == 'gzip'
    tag = packed.headers['ETag']
    # NOTE: requests and httpx ask for gzip by default; the tag they read
    # must let their next write through, and only while it is current.
    kept = {'content_type': 'application/json', 'headers': {'If-Match': tag}}
    assert api.put(edit, {'progress': 10}, status=200, **kept).doc['progress'] == 10
    refused = api.put(edit, {'progress': 20}, status=412, **kept)
    assert refused.codes == ['412-PRECONDITION-FAILED']
