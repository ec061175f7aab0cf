"""The ``abiq`` command: init, serve, worker, migrate, purge, and ``client``."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys

from abiq import affinity
from abiq.client import cli as client_cli
from abiq.config import Config
from abiq.config import ConfigError
from abiq.db import bind
from abiq.db import create_schema
from abiq.db import database_for
from abiq.db import migrations
from abiq.db.domain import Template
from abiq.db.domain import VirtualAppliance
from abiq.db.domain import VirtualMachine
from abiq.db.models import Enterprise
from abiq.db.models import User
from abiq.db.models import database
from abiq.passwords import hash_password
from abiq.serve_command import add_parser as add_serve_parser
from abiq.serve_command import start_listener

__all__ = ['main']

SYSTEM_ENTERPRISE = 'abiq'
DEMO = ('demo', 'demo', 'demo')  # enterprise, user, password


def _ensure_user(name: str, enterprise: Enterprise, role: str, password: str) -> bool:
    """Create a user unless it exists; return whether it was created."""
    if User.get_or_none(User.name == name) is not None:
        return False
    User.create(
        enterprise=enterprise,
        name=name,
        role=role,
        password_hash=hash_password(password),
    )
    return True


DEMO_TEMPLATES = (
    ('debian-12', 'Debian 12 (bookworm), minimal', 'linux', 1, 1024, 10),
    ('ubuntu-24.04', 'Ubuntu 24.04 LTS server', 'linux', 2, 2048, 20),
    ('alpine-3.20', 'Alpine Linux, for small services', 'linux', 1, 256, 2),
)


def _demo_domain(enterprise: Enterprise) -> None:
    """Add the demo templates and an appliance with two machines (once)."""
    for name, description, os_name, cpu, ram, disk in DEMO_TEMPLATES:
        Template.get_or_create(
            name=name,
            defaults={
                'description': description,
                'os': os_name,
                'cpu': cpu,
                'ram': ram,
                'disk': disk,
            },
        )
    vapp, created = VirtualAppliance.get_or_create(
        enterprise=enterprise, name='demo-app'
    )
    if created:
        template = Template.get(Template.name == 'debian-12')
        for name in ('web', 'db'):
            VirtualMachine.create(
                virtualappliance=vapp,
                template=template,
                name=name,
                hostname=name,
                cpu=template.cpu,
                ram=template.ram,
                disk=template.disk,
            )
        print('created virtual appliance demo-app with machines web and db')


def cmd_init(config: Config, args: argparse.Namespace) -> int:
    """Create the schema, the admin user and (``--demo``) the demo data."""
    bind(database_for(config))
    create_schema()
    with database.connection_context(), database.atomic():
        system, _ = Enterprise.get_or_create(name=SYSTEM_ENTERPRISE)
        password = os.environ.get('ABIQ_ADMIN_PASSWORD') or secrets.token_urlsafe(12)
        if _ensure_user('admin', system, 'admin', password):
            shown = (
                'from ABIQ_ADMIN_PASSWORD'
                if 'ABIQ_ADMIN_PASSWORD' in os.environ
                else password
            )
            print(f'created user admin, password: {shown}')
        if args.demo:
            enterprise_name, user_name, demo_password = DEMO
            demo, _ = Enterprise.get_or_create(name=enterprise_name)
            if _ensure_user(user_name, demo, 'user', demo_password):
                print(f'created user {user_name}, password: {demo_password}')
            _demo_domain(demo)
    print(f'database ready: {config.database_url}')
    return 0


def cmd_worker(config: Config, args: argparse.Namespace) -> int:
    """Run task workers only, until SIGTERM or SIGINT."""
    import signal
    import threading

    from abiq.wiring import build_engine
    from abiq.workers import WorkerPool

    cpu = affinity.pin_process(args.cpu_affinity)
    bind(database_for(config))
    migrations.check()
    engine = build_engine(config)
    pool = WorkerPool(engine, args.concurrency, config.worker_poll)
    listener = start_listener(engine.changes)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    pool.start()
    placed = f' on CPU {cpu}' if cpu is not None else ''
    print(f'abiq worker running {args.concurrency} threads{placed}', flush=True)
    stop.wait()
    # NOTE: workers finish the job they are in, then give their task back.
    pool.stop()
    if listener:
        listener.stop()
    return 0


def cmd_migrate(config: Config, args: argparse.Namespace) -> int:
    """Upgrade the database schema in place."""
    bind(database_for(config))
    applied = migrations.migrate()
    with database.connection_context():
        version = migrations.current_version()
    print(
        f'schema version {version}'
        + (f' (applied {applied})' if applied else ' (already current)')
    )
    return 0


def cmd_purge(config: Config, args: argparse.Namespace) -> int:
    """Delete expired tasks."""
    from abiq.wiring import build_engine

    bind(database_for(config))
    with database.connection_context():
        purged = build_engine(config).purge()
    print(f'purged {purged} expired tasks')
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='abiq', description=__doc__)
    commands = parser.add_subparsers(dest='command', required=True)
    init = commands.add_parser('init', help='create the database schema and admin')
    init.add_argument('--demo', action='store_true', help='add the demo tenant')
    init.set_defaults(handler=cmd_init)
    add_serve_parser(commands)
    worker = commands.add_parser('worker', help='run task workers only')
    worker.add_argument('--concurrency', type=int, default=2)
    affinity.add_option(worker)
    worker.set_defaults(handler=cmd_worker)
    migrate = commands.add_parser('migrate', help='upgrade the database schema')
    migrate.set_defaults(handler=cmd_migrate)
    purge = commands.add_parser('purge', help='delete expired tasks')
    purge.set_defaults(handler=cmd_purge)
    client_cli.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``abiq`` command line."""
    args = _parser().parse_args(argv)
    if args.command == 'client':
        # NOTE: a client of a server anywhere: no server settings apply
        return client_cli.run(args)
    try:
        config = Config.from_env()
    except ConfigError as ex:
        print(f'abiq: {ex}', file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level, format='%(asctime)s %(levelname)s %(name)s %(message)s'
    )
    try:
        return args.handler(config, args)
    except migrations.SchemaError as ex:
        print(f'abiq: {ex}', file=sys.stderr)
        return 3


if __name__ == '__main__':
    sys.exit(main())
