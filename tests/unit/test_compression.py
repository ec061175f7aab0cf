"""gzip decisions: whom to compress for, what a compressed answer says."""

from __future__ import annotations

import gzip

import falcon
import falcon.testing
import pytest

from abiq.compression import GZIP_SUFFIX
from abiq.compression import MIN_SIZE
from abiq.compression import Compression
from abiq.compression import add_vary
from abiq.compression import wants_gzip

BODY = b'{"a": "' + b'x' * MIN_SIZE + b'"}'


@pytest.mark.parametrize(
    ('header', 'wanted'),
    [
        (None, False),
        ('', False),
        ('gzip', True),
        ('GZIP', True),
        ('x-gzip', True),
        ('br, gzip;q=0.5', True),
        ('gzip;q=0', False),
        ('gzip;q=0.0, *', False),
        ('gzip;q=bad', False),
        ('*', True),
        ('*;q=0', False),
        ('identity', False),
        ('deflate, br', False),
        ('identity;q=1, *;q=0.1', True),
        ('br', False),
        ('gzip;q=0, *', False),
        ('*;q=0.5', True),
        ('deflate, GZIP;q=0.1', True),
        ('gzip;q=nonsense', False),
    ],
)
def test_wants_gzip(header, wanted):
    assert wants_gzip(header) is wanted


def test_add_vary_adds_a_name_once():
    resp = falcon.Response()
    add_vary(resp, 'Accept')
    add_vary(resp, 'Accept-Encoding')
    add_vary(resp, 'accept-encoding')
    assert resp.get_header('Vary') == 'Accept, Accept-Encoding'


def _answer(body: bytes | None, etag: str | None = '"abc.json2"', **headers):
    req = falcon.testing.create_req(headers=headers)
    resp = falcon.Response()
    resp.data = body
    if etag:
        resp.set_header('ETag', etag)
    Compression().process_response(req, resp, None, True)
    return resp


def test_a_large_body_is_gzipped_with_a_tag_of_its_own():
    resp = _answer(BODY, Accept_Encoding='gzip')
    assert gzip.decompress(resp.data) == BODY
    assert resp.get_header('Content-Encoding') == 'gzip'
    assert resp.get_header('ETag') == f'"abc.json2{GZIP_SUFFIX}"'
    assert resp.get_header('Vary') == 'Accept-Encoding'


def test_the_same_body_gives_the_same_bytes():
    one = _answer(BODY, Accept_Encoding='gzip').data
    assert _answer(BODY, Accept_Encoding='gzip').data == one


def test_without_asking_the_body_stays_plain_but_varies():
    resp = _answer(BODY)
    assert (resp.data, resp.get_header('Content-Encoding')) == (BODY, None)
    assert resp.get_header('Vary') == 'Accept-Encoding'


def test_a_small_body_is_never_gzipped_nor_varies():
    small = b'x' * MIN_SIZE
    resp = _answer(small, Accept_Encoding='gzip')
    assert (resp.data, resp.get_header('Vary')) == (small, None)


def test_a_weak_tag_is_kept_and_an_encoded_body_left_alone():
    assert _answer(BODY, 'W/"abc"', Accept_Encoding='gzip').get_header('ETag') == (
        'W/"abc"'
    )
    req = falcon.testing.create_req(headers={'Accept-Encoding': 'gzip'})
    resp = falcon.Response()
    resp.data = BODY
    resp.set_header('Content-Encoding', 'br')
    Compression().process_response(req, resp, None, True)
    assert resp.data == BODY


def _revalidated(if_none_match: str, encoding: str | None) -> falcon.Response:
    headers = {'If-None-Match': if_none_match}
    if encoding:
        headers['Accept-Encoding'] = encoding
    req = falcon.testing.create_req(headers=headers)
    resp = falcon.Response()
    resp.status = falcon.HTTP_304
    resp.set_header('ETag', '"abc.json2"')
    Compression().process_response(req, resp, None, True)
    return resp


def test_a_304_to_the_gzip_tag_gives_that_tag_back():
    resp = _revalidated(f'"abc.json2{GZIP_SUFFIX}"', 'gzip')
    assert resp.get_header('ETag') == f'"abc.json2{GZIP_SUFFIX}"'
    assert resp.get_header('Vary') == 'Accept-Encoding'


@pytest.mark.parametrize(
    ('asked', 'encoding'),
    [('"abc.json2"', 'gzip'), (f'"abc.json2{GZIP_SUFFIX}"', None)],
)
def test_a_304_otherwise_keeps_the_plain_tag(asked, encoding):
    assert _revalidated(asked, encoding).get_header('ETag') == '"abc.json2"'
