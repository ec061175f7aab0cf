"""Reading the configuration from the environment."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import asdict

import pytest

from abiq.config import Config
from abiq.config import ConfigError
from abiq.config import Deprecation
from abiq.config import parse_deprecations
from abiq.config import parse_networks
from abiq.config import parse_origins


def test_no_variables_give_the_defaults():
    assert Config.from_env({}) == Config()


def test_empty_numbers_and_choices_give_the_defaults():
    empty = {
        f'ABIQ_{name}': ''
        for name in ('MAX_PAGE', 'TASK_LEASE', 'WORKER_POLL', 'DRIVER', 'SIM_LATENCY')
    }
    assert Config.from_env(empty) == Config()


EVERY_VARIABLE = {
    'ABIQ_DATABASE_URL': 'postgresql://db/abiq',
    'ABIQ_DATABASE_POOL': '5',
    'ABIQ_DATABASE_PREPARE': 'off',
    'ABIQ_VENDOR': 'acme',
    'ABIQ_PUBLIC_URL': 'https://abiq.example.com',
    'ABIQ_TRUSTED_PROXIES': '10.0.0.0/8, ::1',
    'ABIQ_MAX_PAGE': '50',
    'ABIQ_MAX_BODY': '2048',
    'ABIQ_TASK_RETENTION': '60',
    'ABIQ_DEPRECATED_VERSIONS': '1=2026-06-01,2027-01-01',
    'ABIQ_LOG_LEVEL': 'debug',
    'ABIQ_AUTH_CACHE_SECONDS': '0',
    'ABIQ_AUTH_FAILURES_PER_MINUTE': '0',
    'ABIQ_TASK_LEASE': '7',
    'ABIQ_TASK_MAX_ATTEMPTS': '9',
    'ABIQ_MAX_WAIT': '0',
    'ABIQ_MAX_WAITERS': '0',
    'ABIQ_WORKER_POLL': '0.25',
    'ABIQ_DRIVER': 'libvirt',
    'ABIQ_SIM_LATENCY': '0',
    'ABIQ_SIM_FAULTS': 'deploy:0.5',
    'ABIQ_LIBVIRT_URI': 'qemu:///system',
    'ABIQ_SQLITE_SYNCHRONOUS': 'normal',
    'ABIQ_CORS_ORIGINS': 'https://A.example',
}

#: what EVERY_VARIABLE changes, setting by setting
READ = {
    'database_url': 'postgresql://db/abiq',
    'database_pool': 5,
    'database_prepare': 'off',
    'vendor': 'acme',
    'public_url': 'https://abiq.example.com',
    'trusted_proxies': (
        ipaddress.ip_network('10.0.0.0/8'),
        ipaddress.ip_network('::1'),
    ),
    'max_page': 50,
    'max_body': 2048,
    'task_retention': 60,
    'deprecated_versions': {
        1: {'deprecated_on': dt.date(2026, 6, 1), 'sunset_on': dt.date(2027, 1, 1)}
    },
    'log_level': 'DEBUG',
    'auth_cache_seconds': 0,
    'auth_failures_per_minute': 0,
    'task_lease': 7,
    'task_max_attempts': 9,
    'max_wait': 0,
    'max_waiters': 0,
    'worker_poll': 0.25,
    'driver': 'libvirt',
    'sim_latency': 0,
    'sim_faults': 'deploy:0.5',
    'libvirt_uri': 'qemu:///system',
    'sqlite_synchronous': 'normal',
    'cors_origins': ('https://a.example',),
}


def test_every_variable_is_read():
    config, default = asdict(Config.from_env(EVERY_VARIABLE)), asdict(Config())
    changed = {key: value for key, value in config.items() if value != default[key]}
    assert changed == READ
    assert set(READ) == set(default) - {'prefix', 'schema_dir', 'xsd_dir'}


def test_the_prefix_and_the_data_folders_are_not_read():
    env = {'ABIQ_PREFIX': '/x', 'ABIQ_SCHEMA_DIR': '/tmp', 'ABIQ_XSD_DIR': '/tmp'}
    assert Config.from_env(env) == Config()


@pytest.mark.parametrize(
    ('env', 'message'),
    [
        ({'ABIQ_MAX_PAGE': 'ten'}, "ABIQ_MAX_PAGE must be a whole number, not 'ten'"),
        ({'ABIQ_MAX_PAGE': '1.5'}, "ABIQ_MAX_PAGE must be a whole number, not '1.5'"),
        ({'ABIQ_MAX_PAGE': '0'}, "ABIQ_MAX_PAGE must be greater than zero, not '0'"),
        ({'ABIQ_MAX_WAIT': '-1'}, "ABIQ_MAX_WAIT must be greater than zero, not '-1'"),
        (
            {'ABIQ_WORKER_POLL': 'soon'},
            "ABIQ_WORKER_POLL must be a number of seconds, not 'soon'",
        ),
        (
            {'ABIQ_WORKER_POLL': '0'},
            "ABIQ_WORKER_POLL must be greater than zero, not '0'",
        ),
        (
            {'ABIQ_SIM_LATENCY': '-0.5'},
            "ABIQ_SIM_LATENCY must be greater than zero, not '-0.5'",
        ),
        ({'ABIQ_DRIVER': 'xen'}, "ABIQ_DRIVER must be one of sim, libvirt, not 'xen'"),
        (
            {'ABIQ_TRUSTED_PROXIES': 'proxy'},
            "ABIQ_TRUSTED_PROXIES: bad address 'proxy'",
        ),
        # the first bad variable, in the order of the settings, is the one told
        ({'ABIQ_MAX_BODY': 'x', 'ABIQ_DATABASE_POOL': 'y'}, 'ABIQ_DATABASE_POOL'),
    ],
)
def test_a_value_abiq_cannot_use_is_refused_by_name(env, message):
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env)
    assert str(caught.value).startswith(message)


def test_parse_networks():
    assert parse_networks('') == ()
    assert parse_networks(' 192.168.1.7 ,, 10.1.2.3/8') == (
        ipaddress.ip_network('192.168.1.7'),
        ipaddress.ip_network('10.0.0.0/8'),
    )


@pytest.mark.parametrize(
    ('raw', 'origins'),
    [
        ('', ()),
        ('*', ('*',)),
        (
            'http://localhost:8080, HTTPS://App.Example',
            ('http://localhost:8080', 'https://app.example'),
        ),
        ('http://[::1]:3000', ('http://[::1]:3000',)),
    ],
)
def test_parse_origins(raw, origins):
    assert parse_origins(raw) == origins


@pytest.mark.parametrize(
    'raw', ['example.com', 'http://a/path', 'ftp://a', 'http://a:123456']
)
def test_what_is_not_an_origin_is_refused(raw):
    with pytest.raises(ConfigError, match='^ABIQ_CORS_ORIGINS: '):
        parse_origins(raw)


def test_parse_deprecations():
    assert parse_deprecations(' 1=2026-06-01 ; 2 = 2027-01-01, 2028-01-01 ;') == {
        1: Deprecation(dt.date(2026, 6, 1)),
        2: Deprecation(dt.date(2027, 1, 1), dt.date(2028, 1, 1)),
    }


@pytest.mark.parametrize(
    'raw', ['1', 'one=2026-01-01', '1=2026-13-01', '1=', '1=2026-01-01,x']
)
def test_a_deprecation_abiq_cannot_read_is_refused(raw):
    with pytest.raises(ConfigError, match='^ABIQ_DEPRECATED_VERSIONS: cannot read '):
        parse_deprecations(raw)
