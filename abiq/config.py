"""Configuration read from the environment, once, into an immutable value.

Nothing in abiq reads ``os.environ`` outside :meth:`Config.from_env`, so tests build
a ``Config`` directly and every setting is visible in one place.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    'Config',
    'ConfigError',
    'Deprecation',
    'parse_deprecations',
    'parse_origins',
]

# NOTE: the JSON Schemas and XSDs are package data, read where the package is
# installed (a wheel carries copies; in a checkout abiq/_data/schemas and
# abiq/_data/xsd are symlinks to the top-level schemas/ and xsd/), never from
# the folder above the package, which in site-packages is someone else's.
DATA_DIR = Path(str(resources.files(__package__) / '_data'))
DEFAULT_DATABASE_URL = 'sqlite:///var/abiq.db'
DEFAULT_VENDOR = 'abiq'
DEFAULT_MAX_PAGE = 1000
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_TASK_RETENTION = 86400
DEFAULT_AUTH_CACHE_SECONDS = 60
DEFAULT_AUTH_FAILURES_PER_MINUTE = 10
DEFAULT_PREFIX = '/api'
DEFAULT_TASK_LEASE = 30
DEFAULT_TASK_MAX_ATTEMPTS = 3
DEFAULT_MAX_WAIT = 30
DEFAULT_MAX_WAITERS = 4

# NOTE: an origin is scheme://host[:port] (RFC 6454), no path, as browsers send it.
_ORIGIN = re.compile(
    r'^https?://[a-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?$'
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Environ = Mapping[str, str]
#: reads one setting: (environment, variable name) -> value
Reader = Callable[[Environ, str], Any]


class ConfigError(ValueError):
    """A setting has a value abiq cannot use."""


@dataclass(frozen=True)
class Deprecation:
    """When an API version was deprecated, and when it goes away."""

    deprecated_on: dt.date
    sunset_on: dt.date | None = None


@dataclass(frozen=True)
class Config:
    """Every setting of an abiq process."""

    database_url: str = DEFAULT_DATABASE_URL
    database_pool: int = 20
    database_prepare: str = 'on'
    vendor: str = DEFAULT_VENDOR
    public_url: str | None = None
    trusted_proxies: tuple[Network, ...] = ()
    max_page: int = DEFAULT_MAX_PAGE
    max_body: int = DEFAULT_MAX_BODY
    task_retention: int = DEFAULT_TASK_RETENTION
    deprecated_versions: dict[int, Deprecation] = field(default_factory=dict)
    log_level: str = 'INFO'
    auth_cache_seconds: int = DEFAULT_AUTH_CACHE_SECONDS
    auth_failures_per_minute: int = DEFAULT_AUTH_FAILURES_PER_MINUTE
    prefix: str = DEFAULT_PREFIX
    task_lease: float = DEFAULT_TASK_LEASE
    task_max_attempts: int = DEFAULT_TASK_MAX_ATTEMPTS
    max_wait: int = DEFAULT_MAX_WAIT
    max_waiters: int = DEFAULT_MAX_WAITERS
    worker_poll: float = 1.0
    driver: str = 'sim'
    sim_latency: float = 0.5
    sim_faults: str = ''
    libvirt_uri: str = 'test:///default'
    sqlite_synchronous: str = 'full'
    cors_origins: tuple[str, ...] = ()
    schema_dir: Path = DATA_DIR / 'schemas'
    xsd_dir: Path = DATA_DIR / 'xsd'

    @classmethod
    def from_env(cls, environ: Environ | None = None) -> Config:
        """Build the configuration from ``ABIQ_*`` environment variables.

        Raises:
            ConfigError: a variable has a value that cannot be used.
        """
        env = os.environ if environ is None else environ
        return cls(**{name: read(env, var) for name, var, read in _FROM_ENV})


def _positive(env: Environ, name: str, default: int, zero: bool = False) -> int:
    raw = env.get(name)
    if raw is None or raw == '':
        return default
    try:
        value = int(raw)
    except ValueError as ex:
        raise ConfigError(f'{name} must be a whole number, not {raw!r}') from ex
    if value < 0 or (value == 0 and not zero):
        raise ConfigError(f'{name} must be greater than zero, not {raw!r}')
    return value


def _choice(env: Environ, name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or choices[0]
    if value not in choices:
        raise ConfigError(f'{name} must be one of {", ".join(choices)}, not {value!r}')
    return value


def _seconds(env: Environ, name: str, default: float, zero: bool = False) -> float:
    raw = env.get(name)
    if raw is None or raw == '':
        return default
    try:
        value = float(raw)
    except ValueError as ex:
        raise ConfigError(f'{name} must be a number of seconds, not {raw!r}') from ex
    if value < 0 or (value == 0 and not zero):
        raise ConfigError(f'{name} must be greater than zero, not {raw!r}')
    return value


def _text(default: str) -> Reader:
    return lambda env, name: env.get(name, default)


def _parsed(parse: Callable[[str], Any]) -> Reader:
    return lambda env, name: parse(env.get(name, ''))


def _whole(default: int, zero: bool = False) -> Reader:
    return lambda env, name: _positive(env, name, default, zero)


def _number(default: float, zero: bool = False) -> Reader:
    return lambda env, name: _seconds(env, name, default, zero)


def _one_of(*choices: str) -> Reader:
    return lambda env, name: _choice(env, name, choices)


def parse_networks(raw: str) -> tuple[Network, ...]:
    """Parse ``ABIQ_TRUSTED_PROXIES``: addresses or CIDR ranges, comma-separated."""
    networks = []
    for item in raw.split(','):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as ex:
            raise ConfigError(f'ABIQ_TRUSTED_PROXIES: bad address {item!r}') from ex
    return tuple(networks)


def parse_origins(raw: str) -> tuple[str, ...]:
    """Parse ``ABIQ_CORS_ORIGINS``: origins, comma-separated, or ``*``."""
    origins = tuple(item.strip().lower() for item in raw.split(',') if item.strip())
    for origin in origins:
        if origin != '*' and not _ORIGIN.match(origin):
            raise ConfigError(
                f'ABIQ_CORS_ORIGINS: {origin!r} is not an origin '
                '(scheme://host[:port], no path) nor *'
            )
    return origins


def parse_deprecations(raw: str) -> dict[int, Deprecation]:
    """Parse ``ABIQ_DEPRECATED_VERSIONS`` (``1=2026-06-01,2027-12-31;...``)."""
    result: dict[int, Deprecation] = {}
    for entry in raw.split(';'):
        entry = entry.strip()
        if not entry:
            continue
        try:
            version, dates = entry.split('=', 1)
            parts = [dt.date.fromisoformat(part.strip()) for part in dates.split(',')]
            sunset = parts[1] if len(parts) > 1 else None
            result[int(version)] = Deprecation(parts[0], sunset)
        except (ValueError, IndexError) as ex:
            raise ConfigError(
                f'ABIQ_DEPRECATED_VERSIONS: cannot read {entry!r} '
                '(expected VERSION=YYYY-MM-DD[,YYYY-MM-DD])'
            ) from ex
    return result


# NOTE: read in this order, so the first bad variable is the one reported;
# the prefix and the data folders are not settings of the environment.
_FROM_ENV: tuple[tuple[str, str, Reader], ...] = (
    ('database_url', 'ABIQ_DATABASE_URL', _text(DEFAULT_DATABASE_URL)),
    ('database_pool', 'ABIQ_DATABASE_POOL', _whole(20)),
    ('database_prepare', 'ABIQ_DATABASE_PREPARE', _one_of('on', 'off')),
    ('vendor', 'ABIQ_VENDOR', _text(DEFAULT_VENDOR)),
    ('public_url', 'ABIQ_PUBLIC_URL', lambda env, name: env.get(name) or None),
    ('trusted_proxies', 'ABIQ_TRUSTED_PROXIES', _parsed(parse_networks)),
    ('max_page', 'ABIQ_MAX_PAGE', _whole(DEFAULT_MAX_PAGE)),
    ('max_body', 'ABIQ_MAX_BODY', _whole(DEFAULT_MAX_BODY)),
    ('task_retention', 'ABIQ_TASK_RETENTION', _whole(DEFAULT_TASK_RETENTION)),
    ('deprecated_versions', 'ABIQ_DEPRECATED_VERSIONS', _parsed(parse_deprecations)),
    ('log_level', 'ABIQ_LOG_LEVEL', lambda env, name: env.get(name, 'INFO').upper()),
    (
        'auth_cache_seconds',
        'ABIQ_AUTH_CACHE_SECONDS',
        _whole(DEFAULT_AUTH_CACHE_SECONDS, zero=True),
    ),
    (
        'auth_failures_per_minute',
        'ABIQ_AUTH_FAILURES_PER_MINUTE',
        _whole(DEFAULT_AUTH_FAILURES_PER_MINUTE, zero=True),
    ),
    ('task_lease', 'ABIQ_TASK_LEASE', _whole(DEFAULT_TASK_LEASE)),
    ('task_max_attempts', 'ABIQ_TASK_MAX_ATTEMPTS', _whole(DEFAULT_TASK_MAX_ATTEMPTS)),
    ('max_wait', 'ABIQ_MAX_WAIT', _whole(DEFAULT_MAX_WAIT, zero=True)),
    ('max_waiters', 'ABIQ_MAX_WAITERS', _whole(DEFAULT_MAX_WAITERS, zero=True)),
    ('worker_poll', 'ABIQ_WORKER_POLL', _number(1.0)),
    ('driver', 'ABIQ_DRIVER', _one_of('sim', 'libvirt')),
    ('sim_latency', 'ABIQ_SIM_LATENCY', _number(0.5, zero=True)),
    ('sim_faults', 'ABIQ_SIM_FAULTS', _text('')),
    ('libvirt_uri', 'ABIQ_LIBVIRT_URI', _text('test:///default')),
    ('sqlite_synchronous', 'ABIQ_SQLITE_SYNCHRONOUS', _one_of('full', 'normal')),
    ('cors_origins', 'ABIQ_CORS_ORIGINS', _parsed(parse_origins)),
)
