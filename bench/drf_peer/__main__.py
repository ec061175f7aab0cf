"""Serve the peer: ``python -m bench.drf_peer PORT DB [--threads N]``."""

from __future__ import annotations

import argparse
from pathlib import Path

import waitress

from abiq import affinity
from bench.drf_peer.settings import configure


def prepare_accounts(key: str) -> None:
    """Create DRF's tables (auth, tokens) in the database, and the bench
    user with ``key`` as its token, unless they are there already."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command('migrate', verbosity=0, interactive=False)
    user, _ = User.objects.get_or_create(username='bench')
    Token.objects.get_or_create(user=user, defaults={'key': key})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('port', type=int)
    parser.add_argument('db', type=Path)
    parser.add_argument('--threads', type=int, default=8)
    affinity.add_option(parser)
    args = parser.parse_args()
    configure(args.db)
    from django.core.wsgi import get_wsgi_application

    from bench.prepare import TOKEN

    prepare_accounts(TOKEN)
    # NOTE: on one CPU, as `abiq serve` keeps itself (abiq.affinity), or
    # free to move, as DRF is usually served: make bench measures both.
    affinity.pin_process(args.cpu_affinity)
    waitress.serve(
        get_wsgi_application(),
        host='127.0.0.1',
        port=args.port,
        threads=args.threads,
        _quiet=True,
    )


if __name__ == '__main__':
    main()
