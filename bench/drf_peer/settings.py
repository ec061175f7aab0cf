"""The peer's Django settings, in code: one SQLite file, no admin, no
sessions, no templates; what a lean DRF API runs with."""

from __future__ import annotations

from pathlib import Path

import django
from django.conf import settings

__all__ = ['configure']

# NOTE: the pragmas abiq.db.connection gives SQLite (WAL, foreign keys,
# a 10 s busy timeout) and its default synchronous=FULL, so a write costs
# the peer the same fsyncs it costs abiq.
PRAGMAS = (
    'PRAGMA journal_mode = wal; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000'
)


def configure(db_path: Path) -> None:
    """Configure Django for the database at ``db_path`` and set it up."""
    settings.configure(
        DEBUG=False,
        SECRET_KEY='bench-peer-loopback-only',
        ALLOWED_HOSTS=['127.0.0.1', 'localhost', 'testserver'],
        ROOT_URLCONF='bench.drf_peer.urls',
        INSTALLED_APPS=[
            'django.contrib.contenttypes',
            'django.contrib.auth',
            'rest_framework',
            'rest_framework.authtoken',
            'bench.drf_peer',
        ],
        # NOTE: CommonMiddleware (in every new Django project) sets
        # Content-Length; without it waitress closes the connection after
        # each answer, and the peer would pay a reconnect per request.
        MIDDLEWARE=['django.middleware.common.CommonMiddleware'],
        DATABASES={
            'default': {
                'ENGINE': 'django.db.backends.sqlite3',
                'NAME': str(db_path),
                # NOTE: persistent connections (one per server thread), as
                # abiq keeps its own; Django's default reconnects per request.
                'CONN_MAX_AGE': None,
                'OPTIONS': {
                    'init_command': PRAGMAS,
                    # NOTE: abiq begins its write transactions IMMEDIATE too.
                    'transaction_mode': 'IMMEDIATE',
                    'timeout': 10,
                },
            }
        },
        DEFAULT_AUTO_FIELD='django.db.models.AutoField',
        USE_TZ=True,
        TIME_ZONE='UTC',
        REST_FRAMEWORK={
            'DEFAULT_AUTHENTICATION_CLASSES': ['bench.drf_peer.auth.BearerToken'],
            'DEFAULT_PERMISSION_CLASSES': [
                'rest_framework.permissions.IsAuthenticated'
            ],
            'DEFAULT_PAGINATION_CLASS': (
                'rest_framework.pagination.LimitOffsetPagination'
            ),
            'PAGE_SIZE': 25,
            'DEFAULT_RENDERER_CLASSES': ['rest_framework.renderers.JSONRenderer'],
            'DEFAULT_PARSER_CLASSES': ['rest_framework.parsers.JSONParser'],
            'UNAUTHENTICATED_USER': None,
        },
        LOGGING_CONFIG=None,
    )
    django.setup()
