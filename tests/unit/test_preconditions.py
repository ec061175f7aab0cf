"""Entity tags and how a request's tags match them (RFC 9110 8.8, 13)."""

from __future__ import annotations

import hashlib

import falcon
import falcon.testing
import pytest

from abiq.compression import MIN_SIZE
from abiq.mediatypes import Accepted
from abiq.preconditions import NOT_FINAL
from abiq.preconditions import describe
from abiq.preconditions import entity_tag
from abiq.preconditions import matches
from abiq.preconditions import not_modified
from abiq.preconditions import without_validators

TASK = Accepted('task', 'json', 2)


def _tags(header: str) -> list:
    """Return the tags falcon reads from an If-None-Match header."""
    return falcon.testing.create_req(headers={'If-None-Match': header}).if_none_match


def test_a_tag_is_a_digest_of_the_body_and_names_its_variant():
    tag = entity_tag(b'{}', TASK)
    assert tag == hashlib.sha256(b'{}').hexdigest()[:24] + '.json2'
    assert entity_tag(b'{}', Accepted('task', 'xml', 1)).endswith('.xml1')
    assert entity_tag(b'{ }', TASK) != tag


@pytest.mark.parametrize(
    ('header', 'etag', 'weak', 'matched'),
    [
        ('"a.json2"', '"a.json2"', True, True),
        ('"a.json2"', '"a.json2"', False, True),
        ('"b.json2", "a.json2"', '"a.json2"', False, True),
        ('"b.json2"', '"a.json2"', True, False),
        ('*', '"a.json2"', False, True),
        # weak tags match weakly only (If-None-Match), never If-Match
        ('W/"a.json2"', '"a.json2"', True, True),
        ('W/"a.json2"', '"a.json2"', False, False),
        ('"a.json2"', 'W/"a.json2"', True, True),
        # a gzip body's tag names the same representation
        ('"a.json2-gzip"', '"a.json2"', False, True),
        ('"a.json2"', '"a.json2-gzip"', True, True),
        ('"a.json2-gzip"', '"a.json2-gzip"', False, True),
        ('"a.xml2"', '"a.json2"', True, False),
    ],
)
def test_matches(header, etag, weak, matched):
    assert matches(_tags(header), etag, weak=weak) is matched


def test_nothing_matches_no_tags_or_no_etag():
    assert not matches(None, '"a"', weak=True)
    assert not matches([], '"a"', weak=True)
    assert not matches(_tags('*'), None, weak=True)


def _written(body: bytes, accepted: Accepted) -> falcon.Response:
    resp = falcon.Response()
    resp.data = body
    describe(resp, accepted)
    return resp


def test_describe_tags_every_document_but_errors():
    body = b'{"a": 1}'
    resp = _written(body, TASK)
    assert resp.etag == f'"{entity_tag(body, TASK)}"'
    assert resp.get_header('Cache-Control') == ', '.join(NOT_FINAL)
    errors = _written(b'{}', TASK.as_name('errors'))
    assert errors.etag is None
    assert errors.get_header('Cache-Control') == ', '.join(NOT_FINAL)


@pytest.mark.parametrize(
    ('size', 'vary'), [(10, None), (MIN_SIZE + 1, 'Accept-Encoding')]
)
def test_a_matching_if_none_match_is_304_without_a_body(size, vary):
    resp = _written(b'x' * size, TASK)
    resp.content_type = 'application/vnd.abiq.task+json; version=2'
    req = falcon.testing.create_req(headers={'If-None-Match': resp.etag})
    assert not_modified(req, resp)
    assert (resp.status, resp.data) == (falcon.HTTP_304, None)
    assert resp.get_header('Content-Type') is None
    assert resp.etag is not None and resp.get_header('Vary') == vary


def test_another_tag_leaves_the_answer_alone():
    resp = _written(b'{}', TASK)
    req = falcon.testing.create_req(headers={'If-None-Match': '"other.json2"'})
    assert not not_modified(req, resp)
    assert resp.data == b'{}' and resp.status == falcon.HTTP_200


@pytest.mark.parametrize(('method', 'kept'), [('PUT', False), ('POST', True)])
def test_an_answer_to_put_loses_its_validators(method, kept):
    resp = _written(b'{}', TASK)
    resp.set_header('Last-Modified', 'Fri, 02 Jan 2026 03:04:05 GMT')
    without_validators(falcon.testing.create_req(method=method), resp)
    assert (resp.etag is not None, resp.get_header('Last-Modified') is not None) == (
        kept,
        kept,
    )
