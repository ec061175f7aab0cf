"""Absolute hrefs: from the request, a trusted proxy, or ABIQ_PUBLIC_URL."""

from __future__ import annotations

import urllib.parse

import pytest

from abiq.config import parse_networks
from tests.conftest import make_app
from tests.support import Api
from tests.support import basic

PROXY = {
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Host': 'cloud.example.com',
    'X-Forwarded-Prefix': '/cloud',
}


def client(app) -> Api:
    return Api(app, app.services.codec, basic('alice'))


def root_self(api: Api, headers: dict[str, str], peer: str = '127.0.0.1') -> str:
    api.test_app.extra_environ = {'REMOTE_ADDR': peer}
    return api.get('/', headers=headers, status=200).link('self')


def test_links_follow_the_request_host(api):
    assert root_self(api, {'Host': 'api.local:8080'}) == 'http://api.local:8080/api/'


def test_untrusted_proxy_headers_are_ignored(api):
    assert root_self(api, PROXY) == 'http://localhost/api/'


@pytest.mark.parametrize('trusted', ['127.0.0.1', '127.0.0.0/8', '10.0.0.1, 127.0.0.1'])
def test_trusted_proxy_headers_shape_every_link(config, world, trusted):
    api = client(make_app(config, trusted_proxies=parse_networks(trusted)))
    assert root_self(api, PROXY) == 'https://cloud.example.com/cloud/api/'
    tasks = api.get('/', headers=PROXY, status=200).link('tasks')
    assert tasks == 'https://cloud.example.com/cloud/api/tasks'


def test_forwarded_header_wins(config, world):
    api = client(make_app(config, trusted_proxies=parse_networks('127.0.0.1')))
    headers = {'Forwarded': 'for=1.2.3.4;proto=https;host=edge.example.org'}
    assert root_self(api, headers) == 'https://edge.example.org/api/'


def test_proxy_from_another_address_is_not_trusted(config, world):
    api = client(make_app(config, trusted_proxies=parse_networks('10.0.0.0/8')))
    assert root_self(api, PROXY, peer='192.0.2.7') == 'http://localhost/api/'


def test_bad_forwarded_host_is_not_echoed(config, world):
    api = client(make_app(config, trusted_proxies=parse_networks('127.0.0.1')))
    headers = {'X-Forwarded-Host': 'evil.com/<script>'}
    assert root_self(api, headers) == 'http://localhost/api/'


def test_public_url_overrides_everything(config, world):
    api = client(make_app(config, public_url='https://abiq.example.net/base/'))
    assert root_self(api, PROXY) == 'https://abiq.example.net/base/api/'


# Forwarded host sources, in order, and what each yields (None: invalid).
FORWARDED_HOSTS = [
    ({}, None),
    ({'Forwarded': 'for=1.2.3.4;host=edge.example.org'}, 'edge.example.org'),
    ({'Forwarded': 'host="evil.com/<script>"'}, None),
    ({'X-Forwarded-Host': 'cloud.example.com, inner'}, 'cloud.example.com'),
    ({'X-Forwarded-Host': 'evil.com/<script>'}, None),
    ({'X-Forwarded-Host': 'a' * 300 + '.example.com'}, None),
    (
        {'Forwarded': 'host="bad host"', 'X-Forwarded-Host': 'cloud.example.com'},
        'cloud.example.com',
    ),
    ({'Forwarded': 'host=[::1]:8443', 'X-Forwarded-Host': 'evil/'}, '[::1]:8443'),
]
HOSTS = [
    ('api.local:8080', 'api.local:8080'),
    ('evil.com/<script>', None),
    ('b' * 300 + '.example.com', None),
    ('api.local, evil', None),
]


def test_each_invalid_host_is_skipped_for_the_next_valid_source(config, world):
    api = client(make_app(config, trusted_proxies=parse_networks('127.0.0.1')))
    api.test_app.extra_environ = {'REMOTE_ADDR': '127.0.0.1'}
    for forwarded, forwarded_host in FORWARDED_HOSTS:
        for host, host_host in HOSTS:
            answer = api.get('/', headers={**forwarded, 'Host': host}, status=200)
            # NOTE: the last source is the address the server listens on.
            expected = forwarded_host or host_host or 'localhost'
            hrefs = [link['href'] for link in answer.doc['links']]
            netlocs = {urllib.parse.urlsplit(href).netloc for href in hrefs}
            assert netlocs == {expected}, (forwarded, host)


@pytest.mark.parametrize(
    ('headers', 'base'),
    [
        (
            {
                'Forwarded': 'proto=ftp;host=edge.example.org',
                'X-Forwarded-Proto': 'https',
            },
            'https://edge.example.org/api/',
        ),
        ({'X-Forwarded-Proto': 'gopher'}, 'http://localhost/api/'),
        ({'X-Forwarded-Prefix': '/c' * 200}, 'http://localhost/api/'),
        ({'X-Forwarded-Prefix': '/a b'}, 'http://localhost/api/'),
        ({'X-Forwarded-Prefix': 'cloud'}, 'http://localhost/cloud/api/'),
    ],
)
def test_each_invalid_scheme_or_prefix_is_skipped(config, world, headers, base):
    api = client(make_app(config, trusted_proxies=parse_networks('127.0.0.1')))
    assert root_self(api, headers) == base
