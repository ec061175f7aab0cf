"""The codec: a request body read into a valid document, a document sent as
an answer with its headers."""

from __future__ import annotations

import datetime as dt

import falcon
import falcon.testing
import orjson
import pytest

from abiq import xmlcodec
from abiq.codec import Codec
from abiq.config import Config
from abiq.config import Deprecation
from abiq.errors import ApiError
from abiq.limits import MAX_LINKS
from abiq.mediatypes import Accepted
from abiq.preconditions import entity_tag
from tests.support import validate_document
from tests.unit.samples import BASE
from tests.unit.samples import codec
from tests.unit.samples import sample

VND = 'application/vnd.abiq'


def _req(body: bytes, content_type: str | None) -> falcon.Request:
    headers = {'Content-Type': content_type} if content_type else {}
    return falcon.testing.create_req(method='POST', body=body, headers=headers)


def _read(body, content_type='application/json', names=('task',), **kwargs):
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return codec().read(_req(data, content_type), names, **kwargs)


def _problems(body, content_type='application/json', **kwargs) -> list[str]:
    with pytest.raises(ApiError) as caught:
        _read(body, content_type, **kwargs)
    assert caught.value.status == 400
    assert {item.code for item in caught.value.errors} == {'400-BAD-REQUEST'}
    return [item.message for item in caught.value.errors]


def test_a_json_body_is_read_with_its_media_type():
    accepted, doc = _read({'type': 'BACKUP', 'progress': 5.0})
    assert accepted == Accepted('task', 'json', 2)
    assert doc == {'type': 'BACKUP', 'progress': 5}


def test_an_xml_body_reads_as_its_json_twin():
    body = (
        b'<task><progress>5</progress><link rel="target" href="/api/x/1"/>'
        b'<type>BACKUP</type></task>'
    )
    accepted, doc = _read(body, 'application/xml')
    assert accepted == Accepted('task', 'xml', 2)
    assert (
        doc
        == _read(
            {
                'links': [{'rel': 'target', 'href': '/api/x/1'}],
                'type': 'BACKUP',
                'progress': 5,
            }
        )[1]
    )
    v1 = body.replace(b'<progress>5</progress>', b'')
    accepted, doc = _read(v1, f'{VND}.task+xml; version=1')
    assert accepted == Accepted('task', 'xml', 1)
    assert doc == {'links': [{'rel': 'target', 'href': '/api/x/1'}], 'type': 'BACKUP'}


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_task_status_aliases_are_read_as_canonical_names(fmt):
    doc = {'status': 'Done', 'jobs': [{'status': 'in progress'}, {'status': 'queued'}]}
    if fmt == 'xml':
        body = (
            b'<task><status>Done</status><jobs><job><status>in progress</status>'
            b'</job><job><status>queued</status></job></jobs></task>'
        )
    else:
        body = orjson.dumps(doc)
    read = _read(body, f'application/{fmt}')[1]
    assert read['status'] == 'finished'
    assert read['jobs'] == [{'status': 'running'}, {'status': 'pending'}]


def test_an_unknown_status_is_refused_by_the_schema():
    (problem,) = _problems({'status': 'paused'})
    assert problem.startswith("/status: 'paused' is not one of ")
    (problem,) = _problems(b'<task><status>paused</status></task>', 'application/xml')
    assert 'paused' in problem


def test_required_fields_and_every_violation_are_told():
    assert _problems({'progress': 101, 'log': 5}, required=('type',)) == [
        "/log: 5 is not of type 'string'",
        '/progress: 101 is greater than the maximum of 100',
        '/type: is required',
    ]


def test_a_body_type_the_target_does_not_read_is_415():
    with pytest.raises(ApiError) as caught:
        _read({'type': 'A'}, 'text/plain')
    assert (caught.value.status, caught.value.errors[0].code) == (
        415,
        '415-UNSUPPORTED-MEDIA-TYPE',
    )
    with pytest.raises(ApiError) as caught:
        _read({'type': 'A'}, f'{VND}.task+json; version=7')
    assert caught.value.errors[0].code == '415-UNSUPPORTED-MEDIA-TYPE-VERSION'


def test_a_body_over_the_configured_limit_is_413():
    small = Codec(Config(max_body=16))
    with pytest.raises(ApiError) as caught:
        small.read(_req(b'{"type": "BACKUP!"}', 'application/json'), ('task',))
    assert caught.value.status == 413


def test_the_xml_document_element_must_be_the_media_type():
    assert _problems(b'<template/>', 'application/xml') == [
        '/template: the document element must be <task>'
    ]


def test_an_xml_body_the_xsd_refuses_is_400_per_error():
    problems = _problems(
        b'<task><progress>x</progress><bogus/></task>', 'application/xml'
    )
    assert len(problems) == 2 and all(p.startswith('/task/') for p in problems)


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_more_than_max_links_are_refused_before_validation(fmt):
    link = {'rel': 'r', 'href': '/h'}
    if fmt == 'json':
        body = orjson.dumps({'links': [link] * (MAX_LINKS + 1)})
    else:
        body = b'<task>' + b'<link rel="r" href="/h"/>' * (MAX_LINKS + 1) + b'</task>'
    assert _problems(body, f'application/{fmt}') == [
        f'/links: a body holds at most {MAX_LINKS} links, not {MAX_LINKS + 1}'
    ]


def test_a_bad_link_among_plain_ones_is_named_by_its_place():
    links = [{'rel': 'r', 'href': f'/h{n}'} for n in range(MAX_LINKS)]
    links[700] = {'rel': 'r'}
    links[900] = {'rel': 'r', 'href': '/h', 'extra': 'x'}
    problems = _problems({'links': links})
    assert [p.split(':')[0] for p in problems] == ['/links/700', '/links/900']


def test_a_json_string_xml_cannot_carry_is_400_once_the_body_is_valid():
    assert _problems({'description': 'a\x00b'}) == [
        '/description: U+0000 is a character XML cannot carry'
    ]
    assert _problems({'description': 'a\x00b', 'progress': -1}) == [
        '/progress: -1 is less than the minimum of 0'
    ]


class _Urls:
    """What the codec asks of the URLs: where a schema is."""

    def schema(self, name: str, version: int, fmt: str) -> str:
        ext = 'xsd' if fmt == 'xml' else 'json'
        return f'{BASE}/{"xsd" if fmt == "xml" else "schemas"}/v{version}/{name}.{ext}'


def _sent(doc: dict, accepted: Accepted, used: Codec | None = None) -> falcon.Response:
    resp = falcon.Response()
    (used or codec()).send(resp, doc, accepted, _Urls())
    return resp


@pytest.mark.parametrize('fmt', ['json', 'xml'])
@pytest.mark.parametrize('version', [1, 2])
def test_a_sent_document_is_valid_and_describes_itself(fmt, version):
    accepted = Accepted('task', fmt, version)
    resp = _sent(sample('task', version), accepted)
    doc = validate_document(codec(), resp.data, 'task', fmt, version)
    described = doc['links'][-1]
    assert described == {
        'rel': 'describedby',
        'href': _Urls().schema('task', version, fmt),
        'type': 'application/xml' if fmt == 'xml' else 'application/schema+json',
    }
    assert resp.content_type == f'{VND}.task+{fmt}; version={version}'
    assert resp.etag == f'"{entity_tag(resp.data, accepted)}"'
    assert resp.get_header('Vary') == 'Accept'
    assert resp.get_header('Link').endswith(
        f'<{described["href"]}>; rel="describedby"; type="{described["type"]}"'
    )
    assert resp.get_header('Deprecation') is None


def test_a_page_in_xml_is_its_items_in_xml():
    resp = _sent(sample('tasks', 2), Accepted('tasks', 'xml', 2))
    doc = validate_document(codec(), resp.data, 'tasks', 'xml', 2)
    assert [task['id'] for task in doc['collection']] == [sample('task', 2)['id']] * 2
    assert resp.data == xmlcodec.dumps(doc, codec().plans[('tasks', 2)])


def test_an_error_document_has_no_entity_tag():
    resp = _sent(sample('errors', 2), Accepted('errors', 'json', 2))
    validate_document(codec(), resp.data, 'errors', 'json', 2)
    assert resp.etag is None


def test_a_deprecated_version_says_when_it_goes():
    config = Config(
        deprecated_versions={
            1: Deprecation(dt.date(2026, 6, 1), dt.date(2027, 1, 1)),
            2: Deprecation(dt.date(2026, 1, 1)),
        }
    )
    deprecating = Codec(config)
    old = _sent(sample('task', 1), Accepted('task', 'json', 1), deprecating)
    assert old.get_header('Deprecation') == '@1780272000'
    assert old.get_header('Sunset') == 'Fri, 01 Jan 2027 00:00:00 GMT'
    new = _sent(sample('task', 2), Accepted('task', 'json', 2), deprecating)
    assert (new.get_header('Deprecation'), new.get_header('Sunset')) == (
        '@1767225600',
        None,
    )


def test_dump_writes_the_accepted_format():
    doc = sample('template', 2)
    assert orjson.loads(codec().dump(doc, Accepted('template', 'json', 2))) == doc
    xml = codec().dump(doc, Accepted('template', 'xml', 2))
    assert validate_document(codec(), xml, 'template', 'xml', 2) == doc
