"""Configuration read from the environment, once, into an immutable value.

Nothing in abiq reads ``os.environ`` outside :meth:`Config.from_env`, so tests build
a ``Config`` directly and every setting is visible in one place.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from dataclasses import dataclass
from dataclasses import field
from importlib import resources
from pathlib import Path

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
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        """Build the configuration from ``ABIQ_*`` environment variables.

        Raises:
            ConfigError: a variable has a value that cannot be used.
        """
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get('ABIQ_DATABASE_URL', DEFAULT_DATABASE_URL),
            database_pool=_positive(env, 'ABIQ_DATABASE_POOL', 20),
            vendor=env.get('ABIQ_VENDOR', DEFAULT_VENDOR),
            public_url=env.get('ABIQ_PUBLIC_URL') or None,
            trusted_proxies=parse_networks(env.get('ABIQ_TRUSTED_PROXIES', '')),
            max_page=_positive(env, 'ABIQ_MAX_PAGE', DEFAULT_MAX_PAGE),
            max_body=_positive(env, 'ABIQ_MAX_BODY', DEFAULT_MAX_BODY),
            task_retention=_positive(
                env, 'ABIQ_TASK_RETENTION', DEFAULT_TASK_RETENTION
            ),
            deprecated_versions=parse_deprecations(
                env.get('ABIQ_DEPRECATED_VERSIONS', '')
            ),
            log_level=env.get('ABIQ_LOG_LEVEL', 'INFO').upper(),
            auth_cache_seconds=_positive(
                env, 'ABIQ_AUTH_CACHE_SECONDS', DEFAULT_AUTH_CACHE_SECONDS, zero=True
            ),
            auth_failures_per_minute=_positive(
                env,
                'ABIQ_AUTH_FAILURES_PER_MINUTE',
                DEFAULT_AUTH_FAILURES_PER_MINUTE,
                zero=True,
            ),
            task_lease=_positive(env, 'ABIQ_TASK_LEASE', DEFAULT_TASK_LEASE),
            task_max_attempts=_positive(
                env, 'ABIQ_TASK_MAX_ATTEMPTS', DEFAULT_TASK_MAX_ATTEMPTS
            ),
            max_wait=_positive(env, 'ABIQ_MAX_WAIT', DEFAULT_MAX_WAIT, zero=True),
            max_waiters=_positive(
                env, 'ABIQ_MAX_WAITERS', DEFAULT_MAX_WAITERS, zero=True
            ),
            worker_poll=_seconds(env, 'ABIQ_WORKER_POLL', 1.0),
            driver=_choice(env, 'ABIQ_DRIVER', ('sim', 'libvirt')),
            sim_latency=_seconds(env, 'ABIQ_SIM_LATENCY', 0.5, zero=True),
            sim_faults=env.get('ABIQ_SIM_FAULTS', ''),
            libvirt_uri=env.get('ABIQ_LIBVIRT_URI', 'test:///default'),
            sqlite_synchronous=_choice(
                env, 'ABIQ_SQLITE_SYNCHRONOUS', ('full', 'normal')
            ),
            cors_origins=parse_origins(env.get('ABIQ_CORS_ORIGINS', '')),
        )


def _positive(env: dict[str, str] | os._Environ, name: str, default: int, zero=False):
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


def _choice(env, name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or choices[0]
    if value not in choices:
        raise ConfigError(f'{name} must be one of {", ".join(choices)}, not {value!r}')
    return value


def _seconds(env, name: str, default: float, zero: bool = False) -> float:
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
