"""The client's address, through trusted proxies or not."""

from __future__ import annotations

import ipaddress

import falcon.testing
import pytest

from abiq.config import Config
from abiq.peers import client_address

PROXIES = (ipaddress.ip_network('10.0.0.0/8'),)


@pytest.mark.parametrize(
    ('remote', 'headers', 'expected'),
    [
        ('192.0.2.1', {'X-Forwarded-For': '203.0.113.9'}, '192.0.2.1'),
        ('10.0.0.1', {}, '10.0.0.1'),
        ('10.0.0.1', {'X-Forwarded-For': '203.0.113.9'}, '203.0.113.9'),
        (
            '10.0.0.1',
            {'X-Forwarded-For': '1.1.1.1, 203.0.113.9, 10.0.0.2'},
            '203.0.113.9',
        ),
        ('10.0.0.1', {'X-Forwarded-For': '10.0.0.3, 10.0.0.2'}, '10.0.0.3'),
        ('10.0.0.1', {'X-Forwarded-For': '2001:db8::7'}, '2001:db8::7'),
        (
            '10.0.0.1',
            {'Forwarded': 'for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"'},
            '2001:db8::1',
        ),
        ('10.0.0.1', {'Forwarded': 'for="203.0.113.9:8080"'}, '203.0.113.9'),
        ('10.0.0.1', {'Forwarded': 'for=unknown'}, 'unknown'),
    ],
)
def test_the_client_is_the_nearest_untrusted_hop(remote, headers, expected):
    config = Config(trusted_proxies=PROXIES)
    req = falcon.testing.create_req(remote_addr=remote, headers=headers)
    assert client_address(req, config) == expected
