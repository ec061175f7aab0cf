"""What no request may hold (U+0000, text that is not UTF-8), and its id."""

from __future__ import annotations

import falcon
import falcon.testing
import pytest

from abiq.config import Config
from abiq.errors import ApiError
from abiq.middleware import RequestText
from abiq.middleware.text import holds_nul
from abiq.middleware.text import not_utf8


def request(path: str = '/api', query: str = '', **headers: str) -> falcon.Request:
    """Return a request whose environ holds ``path`` and ``query`` as WSGI
    gives them: latin-1 text, the path percent-decoded."""
    env = falcon.testing.create_environ(headers=headers)
    env['PATH_INFO'], env['QUERY_STRING'] = path, query
    return falcon.Request(env)


def utf8_as_wsgi(text: str) -> str:
    return text.encode('utf-8').decode('latin-1')


def test_plain_text_passes():
    req = request('/api/tasks', 'status=running&q=%C3%A9t%C3%A9')
    assert not holds_nul(req)
    assert not not_utf8(req)


@pytest.mark.parametrize(
    'req',
    [
        pytest.param(lambda: request('/api/tasks/a\x00b'), id='path'),
        pytest.param(lambda: request(query='q=%00'), id='query'),
        pytest.param(lambda: request(X_Name='a\x00b'), id='header'),
    ],
)
def test_nul_anywhere_is_found(req):
    assert holds_nul(req())


@pytest.mark.parametrize(
    ('path', 'query', 'bad'),
    [
        (utf8_as_wsgi('/api/users/é'), '', False),
        ('/api/users/\xe9', '', True),  # a lone latin-1 byte
        ('/api', 'q=%E9', True),
        ('/api', 'q=%C3%A9', False),
        ('/api', utf8_as_wsgi('q=é'), False),
        ('/api', 'q=\xff', True),
    ],
)
def test_utf8_is_checked_in_path_and_query(path, query, bad):
    assert not_utf8(request(path, query)) is bad


def test_refused_text_is_400_with_the_base_url_known():
    policy = RequestText(Config())
    req = request('/api/tasks/a\x00b')
    with pytest.raises(ApiError) as refused:
        policy.process_request(req, falcon.Response())
    assert refused.value.status == 400
    assert refused.value.errors[0].code == '400-BAD-REQUEST'
    assert 'U+0000' in refused.value.errors[0].message
    # NOTE: the error handler renders with these
    assert req.context.base.startswith('http://')
    assert req.context.request_id


def test_every_answer_gets_its_own_request_id():
    policy = RequestText(Config())
    ids = set()
    for _ in range(3):
        req, resp = request(), falcon.Response()
        policy.process_request(req, resp)
        policy.process_response(req, resp, None, True)
        assert resp.get_header('X-Request-Id') == req.context.request_id
        ids.add(req.context.request_id)
    assert len(ids) == 3


def test_a_request_refused_before_any_middleware_gets_no_id():
    policy = RequestText(Config())
    req, resp = request(), falcon.Response()
    policy.process_response(req, resp, None, False)
    assert resp.get_header('X-Request-Id') is None
