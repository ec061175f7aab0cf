"""Content negotiation as API.md section 2 specifies it, as a client sees it."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from abiq.config import parse_deprecations
from tests.conftest import make_app
from tests.support import Api
from tests.support import basic

V = 'application/vnd.abiq'


@pytest.mark.parametrize(
    ('accept', 'expected'),
    [
        (f'{V}.api+json; version=1', ('api', 'json', 1)),
        (f'{V}.api+json; version=2', ('api', 'json', 2)),
        (f'{V}.api+xml; version=1', ('api', 'xml', 1)),
        (f'{V}.api+xml; version=2', ('api', 'xml', 2)),
        (f'{V}.api+xml', ('api', 'xml', 2)),
        (f'{V}.api', ('api', 'json', 2)),
        (f'{V}.api; version=1', ('api', 'json', 1)),
        ('application/json', ('api', 'json', 2)),
        ('application/*+json', ('api', 'json', 2)),
        ('application/xml', ('api', 'xml', 2)),
        ('text/xml', ('api', 'xml', 2)),
        ('application/*+xml', ('api', 'xml', 2)),
        (None, ('api', 'json', 2)),
        ('*/*', ('api', 'json', 2)),
        ('application/*', ('api', 'json', 2)),
        (f'{V}.api+xml;q=0.9, {V}.api+json;q=0.5', ('api', 'xml', 2)),
        (f'{V}.api+xml;q=0, application/json', ('api', 'json', 2)),
        ('text/html, application/xml;q=0.1', ('api', 'xml', 2)),
        (f'{V}.task+json, {V}.api+xml; version=1', ('api', 'xml', 1)),
    ],
)
def test_accept_table(api, world, accept, expected):
    answer = api.get('/', accept=accept, status=200)
    name, fmt, version = expected
    assert answer.media == expected
    assert answer.headers['Content-Type'] == f'{V}.{name}+{fmt}; version={version}'
    assert 'Accept' in answer.headers['Vary']


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version', 'mentions'),
    [
        (f'{V}.api+json; version=3', 'json', 2, '1, 2'),
        (f'{V}.api+xml; version=9', 'xml', 2, '1, 2'),
        (f'{V}.task+json', 'json', 2, 'api'),
        (f'{V}.task+xml; version=1', 'xml', 1, 'api'),
        ('text/html', 'json', 2, 'api'),
        ('image/png, text/plain;q=0.5', 'json', 2, 'api'),
        (f'{V}.api+json;q=0', 'json', 2, 'api'),
    ],
)
def test_not_acceptable(api, world, accept, fmt, version, mentions):
    answer = api.get('/', accept=accept, status=406)
    assert answer.codes == ['406-NOT-ACCEPTABLE']
    assert answer.media == ('errors', fmt, version)
    assert mentions in answer.doc['collection'][0]['message']


def test_every_resource_negotiates_and_names_its_version(api, world):
    root = api.get('/', status=200)
    tasks_url = root.link('tasks')
    for url, name in ((tasks_url, 'tasks'), (root.link('currentuser'), 'user')):
        for fmt in ('json', 'xml'):
            for version in (1, 2):
                accept = f'{V}.{name}+{fmt}; version={version}'
                answer = api.get(url, accept=accept, status=200)
                assert answer.media == (name, fmt, version)
        api.get(url, accept=f'{V}.api+json', status=406)


@pytest.mark.parametrize(
    ('accept', 'expected'),
    [
        (f'{V}.task+xml; version=1', ('errors', 'xml', 1)),
        (f'{V}.task+json; version=1', ('errors', 'json', 1)),
        (f'{V}.task+xml; version=7', ('errors', 'xml', 2)),
        ('application/xml;q=0.5, application/json;q=0.9', ('errors', 'json', 2)),
        ('application/xml, application/json', ('errors', 'json', 2)),
        ('text/xml', ('errors', 'xml', 2)),
        ('*/*', ('errors', 'json', 2)),
    ],
)
def test_errors_come_in_the_preferred_format(api, world, accept, expected):
    tasks_url = api.get('/').link('tasks')
    answer = api.get(f'{tasks_url}/no-such-task', accept=accept)
    assert answer.status in (404, 406)
    assert answer.media == expected


def test_deprecated_version_headers(config, world):
    deprecations = parse_deprecations('1=2026-06-01,2027-12-31')
    app = make_app(config, deprecated_versions=deprecations)
    client = Api(app, app.services.codec, basic('alice'))
    old = client.get('/', accept=f'{V}.api+json; version=1', status=200)
    epoch = calendar.timegm(dt.date(2026, 6, 1).timetuple())
    assert old.headers['Deprecation'] == f'@{epoch}'
    assert old.headers['Sunset'] == 'Fri, 31 Dec 2027 00:00:00 GMT'
    current = client.get('/', accept=f'{V}.api+json; version=2', status=200)
    assert 'Deprecation' not in current.headers
    assert 'Sunset' not in current.headers


@pytest.mark.parametrize(
    ('content_type', 'body', 'status', 'code'),
    [
        (f'{V}.task+json', '{"type": "A"}', 201, None),
        (f'{V}.task+json; version=1', '{"type": "A"}', 201, None),
        ('application/json', '{"type": "A"}', 201, None),
        (f'{V}.task+xml', '<task><type>A</type></task>', 201, None),
        ('application/xml', '<task><type>A</type></task>', 201, None),
        ('text/xml', '<task><type>A</type></task>', 415, '415-UNSUPPORTED-MEDIA-TYPE'),
        ('text/plain', 'type=A', 415, '415-UNSUPPORTED-MEDIA-TYPE'),
        (None, '{"type": "A"}', 415, '415-UNSUPPORTED-MEDIA-TYPE'),
        (f'{V}.user+json', '{"type": "A"}', 415, '415-UNSUPPORTED-MEDIA-TYPE'),
        (
            f'{V}.task+json; version=9',
            '{"type": "A"}',
            415,
            '415-UNSUPPORTED-MEDIA-TYPE-VERSION',
        ),
    ],
)
def test_request_content_type(api, world, content_type, body, status, code):
    tasks = api.get(api.get('/').link('tasks'), status=200)
    answer = api.post(tasks.link('create'), body, content_type=content_type)
    assert answer.status == status, answer.body
    if code:
        assert answer.codes == [code]
    after = api.get(tasks.link('self'), status=200)
    assert after.doc['totalSize'] == (1 if status == 201 else 0)
