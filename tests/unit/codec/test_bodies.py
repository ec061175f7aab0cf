"""Reading a request body, step by step (API.md section 11)."""

from __future__ import annotations

import types

import falcon.testing
import pytest

from abiq.codec.bodies import body_bytes
from abiq.codec.bodies import from_json
from abiq.codec.bodies import not_xml
from abiq.codec.bodies import whole_numbers
from abiq.errors import ApiError
from abiq.limits import MAX_DEPTH
from abiq.limits import TOO_DEEP


def _refusal(call, *args) -> tuple[int, str, str]:
    with pytest.raises(ApiError) as caught:
        call(*args)
    (item,) = caught.value.errors
    return caught.value.status, item.code, item.message


def _req(body: bytes, **headers: str) -> falcon.Request:
    return falcon.testing.create_req(method='POST', body=body, headers=headers)


def test_a_body_within_the_limit_is_read():
    assert body_bytes(_req(b'{"a": 1}'), 8) == b'{"a": 1}'


class _Unread:
    def read(self, *args):
        raise AssertionError('the body was read')


def test_a_body_over_the_limit_is_413_before_it_is_read():
    req = _req(b'x' * 9)
    req.stream = _Unread()
    assert _refusal(body_bytes, req, 8) == (
        413,
        '413-PAYLOAD-TOO-LARGE',
        'The request body is larger than 8 bytes',
    )


def test_a_body_read_already_is_limited_too():
    req = _req(b'')
    req.context = types.SimpleNamespace(raw_body=b'x' * 9)
    assert _refusal(body_bytes, req, 8)[0] == 413
    req.context.raw_body = b'{}'
    assert body_bytes(req, 8) == b'{}'


@pytest.mark.parametrize('body', [b'', b' \n\t '])
def test_an_empty_body_is_400(body):
    assert _refusal(body_bytes, _req(body), 8) == (
        400,
        '400-BAD-REQUEST',
        'The request body is empty',
    )


def test_json_must_be_an_object():
    assert from_json(b'{"a": [1]}') == {'a': [1]}
    assert _refusal(from_json, b'[1]')[2] == '/: the body must be an object'
    assert _refusal(from_json, b'"a"')[2] == '/: the body must be an object'


@pytest.mark.parametrize('body', [b'{', b'{"a": }', b'{"a": 1} x', b'\xff{}'])
def test_malformed_json_is_400_saying_so(body):
    status, code, message = _refusal(from_json, body)
    assert (status, code) == (400, '400-BAD-REQUEST')
    assert message.startswith('Malformed JSON: ')


def _nested(levels: int) -> bytes:
    return b'{"a": ' * (levels - 1) + b'{}' + b'}' * (levels - 1)


def test_nesting_is_limited_to_max_depth_even_past_the_decoders_limit():
    assert from_json(_nested(MAX_DEPTH))
    for levels in (MAX_DEPTH + 1, 2000):
        assert _refusal(from_json, _nested(levels)) == (
            400,
            '400-BAD-REQUEST',
            TOO_DEEP,
        )
    deep_list = b'{"a": ' + b'[' * MAX_DEPTH + b']' * MAX_DEPTH + b'}'
    assert _refusal(from_json, deep_list)[2] == TOO_DEEP


def test_integral_floats_become_ints_everywhere():
    doc = whole_numbers({'a': 1.0, 'b': [2.0, 2.5, {'c': -0.0}], 'd': True, 'e': '3.0'})
    assert doc == {'a': 1, 'b': [2, 2.5, {'c': 0}], 'd': True, 'e': '3.0'}
    assert [type(value) for value in (doc['a'], doc['b'][0], doc['b'][2]['c'])] == [
        int,
        int,
        int,
    ]
    assert doc['d'] is True


def test_what_xml_cannot_carry_is_named_by_pointer():
    assert not_xml({'a': 'fine', 'b': ['\t']}) == []
    assert not_xml({'links': [{'rel': 'r', 'title': 'a\x01'}], 'log': 'b\x00'}) == [
        '/links/0/title: U+0001 is a character XML cannot carry',
        '/log: U+0000 is a character XML cannot carry',
    ]
