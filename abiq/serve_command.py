"""``abiq serve``: its options, and serving from one process or, with
``--processes N``, from N (:mod:`abiq.processes`)."""

from __future__ import annotations

import argparse
import socket

from abiq import affinity
from abiq.config import Config
from abiq.db import migrations
from abiq.db.models import database

__all__ = ['add_parser', 'cmd_serve', 'start_listener']

SAFETY_NET_POLL = 5.0


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    """Serve the API with waitress, with task workers in the same process.

    SIGTERM (or SIGINT) stops accepting connections, lets in-flight requests
    finish within ``--drain`` seconds, stops the workers at a job boundary,
    and exits 0. With ``--processes N`` this process only supervises N
    serving processes (:mod:`abiq.processes`).
    """
    if args.processes > 1:
        from abiq.processes import run

        return run(args)
    return _serve_one(config, args)


def _serve_one(config: Config, args: argparse.Namespace) -> int:
    from abiq.app import create_app
    from abiq.serving import Limits
    from abiq.serving import serve
    from abiq.workers import WorkerPool

    cpu = affinity.pin_process(args.cpu_affinity, args.process_index)
    app = create_app(config)
    migrations.check()
    engine = app.services.engine
    relay = _start_relay(args, engine)
    pool = WorkerPool(engine, args.workers, config.worker_poll)
    pool.start()
    listener = start_listener(engine.changes)
    if listener or relay:
        # NOTE: NOTIFY (or the relay) wakes long polls now; re-reading is only
        # a safety net.
        app.services.waiter.poll_interval = SAFETY_NET_POLL
    _banner(config, args, engine, cpu)
    sock = socket.socket(fileno=args.listen_fd) if args.listen_fd is not None else None
    if relay:
        relay.ready()
    try:
        limits = Limits(args.connection_limit, args.channel_timeout)
        serve(app, args.host, args.port, args.threads, args.drain, limits, sock)
    finally:
        pool.stop(timeout=args.drain)
        if listener:
            listener.stop()
    return 0


def _banner(config: Config, args: argparse.Namespace, engine, cpu) -> None:  # type: ignore[no-untyped-def]
    placed = f', on CPU {cpu}' if cpu is not None else ''
    print(
        f'abiq serving on http://{args.host}:{args.port}{config.prefix}/ '
        f'(database {config.database_url}, {args.workers} task workers, '
        f'hypervisor driver: {engine.driver.label}{placed})',
        flush=True,
    )


def _start_relay(args: argparse.Namespace, engine):  # type: ignore[no-untyped-def]
    """In a process of ``--processes N``: wake and be woken by the others."""
    from abiq.pgnotify import is_postgres
    from abiq.relay import Relay

    if args.relay_fd is None:
        return None
    relay = Relay(socket.socket(fileno=args.relay_fd), engine.changes).start()
    if not is_postgres():
        # NOTE: on PostgreSQL NOTIFY already reaches every process (and host).
        announce = engine.notifier

        def notifier() -> None:
            announce()
            relay.announce()

        engine.notifier = notifier
    return relay


def start_listener(changes):  # type: ignore[no-untyped-def]
    """Start the LISTEN/NOTIFY thread when the database is PostgreSQL."""
    from abiq.pgnotify import Listener
    from abiq.pgnotify import is_postgres

    if not is_postgres():
        return None
    return Listener(database.obj, changes).start()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'{text} is not a positive whole number')
    return value


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add ``serve`` and its options to the ``abiq`` commands."""
    serve = commands.add_parser('serve', help='serve the API with waitress')
    serve.add_argument('--host', default='127.0.0.1')
    serve.add_argument('--port', type=int, default=8080)
    serve.add_argument(
        '--threads', type=int, default=8, help='request threads in each process'
    )
    serve.add_argument(
        '--workers',
        type=int,
        default=2,
        help='task worker threads, in all the processes together (0: none)',
    )
    serve.add_argument(
        '--processes',
        type=_positive,
        default=1,
        help='serving processes sharing the listening socket',
    )
    serve.add_argument(
        '--drain',
        type=float,
        default=10.0,
        help='seconds in-flight requests get on SIGTERM',
    )
    affinity.add_option(serve)
    _add_limits(serve)
    # NOTE: what the parent of --processes N hands each serving process.
    for inherited in ('--listen-fd', '--relay-fd', '--process-index'):
        serve.add_argument(inherited, type=int, help=argparse.SUPPRESS)
    serve.set_defaults(handler=cmd_serve)


def _add_limits(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        '--connection-limit',
        type=_positive,
        default=1000,
        help='connections open at once (in each process); near it, the longest '
        'idle are closed',
    )
    serve.add_argument(
        '--channel-timeout',
        type=_positive,
        default=30,
        help='seconds an idle or half-sent connection is kept',
    )
