"""A 204 or 304 keeps the connection open (API.md 10), on a real server."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.served import demo_server

AUTH = {'Authorization': 'Basic ' + base64.b64encode(b'demo:demo').decode()}


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp('keepalive')) as server:
        yield urlsplit(server.root).port


class Connection:
    """One HTTP/1.1 connection; fails if the server closes it."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        self.conn.connect()
        self.local = self.conn.sock.getsockname()

    def send(self, method: str, url: str, **headers: str):
        self.conn.request(method, urlsplit(url).path or url, headers=headers)
        resp = self.conn.getresponse()
        body = resp.read()
        # NOTE: http.client reconnects silently; the local port tells.
        assert self.conn.sock is not None, f'{method} {url}: connection closed'
        assert self.conn.sock.getsockname() == self.local
        assert not resp.will_close, resp.getheaders()
        return resp, body

    def link(self, url: str, rel: str) -> str:
        _, body = self.send('GET', url, Accept='application/json', **AUTH)
        return next(lk['href'] for lk in json.loads(body)['links'] if lk['rel'] == rel)


@pytest.fixture
def conn(served):
    connection = Connection(served)
    yield connection
    connection.conn.close()


def test_a_204_keeps_the_connection(conn):
    resp, body = conn.send('OPTIONS', '/api/tasks')
    assert (resp.status, body) == (204, b'')
    resp, _ = conn.send('OPTIONS', '/api/virtualappliances')
    assert resp.status == 204
    resp, _ = conn.send('GET', '/api/', **AUTH)
    assert resp.status == 200


def test_a_304_keeps_the_connection(conn):
    vapps_url = conn.link('/api/', 'virtualappliances')
    _, body = conn.send('GET', vapps_url, Accept='application/json', **AUTH)
    vapp = json.loads(body)['collection'][0]
    deploy = next(lk['href'] for lk in vapp['links'] if lk['rel'] == 'deploy')
    resp, _ = conn.send('POST', deploy, **AUTH)
    assert resp.status == 202
    task = resp.getheader('Location') or resp.getheader('Content-Location')
    resp, _ = conn.send('GET', task, **AUTH)
    etag = resp.getheader('ETag')
    assert etag
    resp, body = conn.send('GET', task, **AUTH, **{'If-None-Match': etag})
    if resp.status == 200:  # NOTE: the task moved on meanwhile; ask again
        etag = resp.getheader('ETag')
        resp, body = conn.send('GET', task, **AUTH, **{'If-None-Match': etag})
    assert (resp.status, body) == (304, b'')
    resp, _ = conn.send('HEAD', task, **AUTH)
    assert resp.status == 200
    resp, _ = conn.send('GET', '/api/', **AUTH)
    assert resp.status == 200
