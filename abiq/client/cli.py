"""``abiq client``: the API from a terminal, by following links only.

    abiq client get virtualappliances demo-app virtualmachines
    abiq client tasks --status failed
    abiq client act virtualappliances demo-app deploy --wait

A path is read from the root, one word at a time: a word that is a rel of
the current resource follows that link; in a collection, any other word
picks the item with that name, id or title. Connection settings come from
flags or from ``ABIQ_URL``, ``ABIQ_USER``, ``ABIQ_PASSWORD``, ``ABIQ_TOKEN``.

Exit status: 0 done; 1 the server answered an error; 2 a bad command line
or path; 3 the task ended failed or cancelled; 4 the wait timed out; 5 the
server could not be reached. Errors are printed as ``error: CODE: message``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any
from typing import TextIO

import httpx
import orjson

from abiq.client.errors import AbiqError
from abiq.client.errors import ApiError
from abiq.client.errors import NoSuchLink
from abiq.client.errors import TaskCancelled
from abiq.client.errors import TaskFailed
from abiq.client.errors import WaitTimeout
from abiq.client.progress import progress_printer
from abiq.client.resources import Collection
from abiq.client.resources import Resource
from abiq.client.session import Client
from abiq.client.tables import render
from abiq.client.tasks import Task

__all__ = ['add_parser', 'run']

DEFAULT_URL = 'http://127.0.0.1:8080/api/'
EXIT_API, EXIT_USAGE, EXIT_TASK, EXIT_TIMEOUT, EXIT_UNREACHABLE = 1, 2, 3, 4, 5


class PathError(AbiqError):
    """A word of a path is neither a rel nor an item here."""

    code = 'PATH'


def add_parser(commands: Any) -> None:
    """Add the ``client`` command and its sub-commands."""
    parser = commands.add_parser(
        'client',
        help='use an abiq API by following its links',
        description=__doc__.split('\n\n')[0],
    )
    env = os.environ.get
    parser.add_argument('--url', default=env('ABIQ_URL', DEFAULT_URL))
    parser.add_argument('--user', default=env('ABIQ_USER'))
    parser.add_argument('--password', default=env('ABIQ_PASSWORD'))
    parser.add_argument('--token', default=env('ABIQ_TOKEN'))
    parser.add_argument('--format', choices=('json', 'xml'), default='json')
    parser.add_argument('--api-version', type=int, choices=(1, 2), default=2)
    parser.add_argument(
        '--output',
        choices=('table', 'json', 'xml'),
        default='table',
        help='tables for people, or the document as the server sent it',
    )
    parser.add_argument('--timeout', type=float, default=30.0)
    sub = parser.add_subparsers(dest='client_command', required=True)

    get = sub.add_parser('get', help='follow a path from the root and show it')
    get.add_argument('path', nargs='*', help='rels and item names from the root')

    tasks = sub.add_parser('tasks', help='list tasks (every page)')
    tasks.add_argument('--status', action='append', default=[])
    tasks.add_argument('--type', dest='task_type')
    tasks.add_argument('--limit', type=int, default=0, help='at most this many')

    act = sub.add_parser('act', help='run an action link (deploy, cancel, ...)')
    act.add_argument('path', nargs='+', help='the path to a resource, then the rel')
    act.add_argument('--body', help='a JSON document for the action')
    act.add_argument('--wait', action='store_true', help='wait until it ends')
    act.add_argument('--wait-timeout', type=float, default=None)


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Run a parsed ``client`` command; return the exit status."""
    err = sys.stderr
    try:
        with _client(args) as client:
            return _COMMANDS[args.client_command](client, args, out)
    except (TaskFailed, TaskCancelled) as ex:
        print(f'error: {ex.code}: {ex}', file=err)
        return EXIT_TASK
    except WaitTimeout as ex:
        print(f'error: {ex.code}: {ex}', file=err)
        return EXIT_TIMEOUT
    except ApiError as ex:
        for item in ex.errors:
            print(f'error: {item.code}: {item.message}', file=err)
        return EXIT_API
    except (NoSuchLink, PathError, LookupError, ValueError) as ex:
        print(f'error: {ex}', file=err)
        return EXIT_USAGE
    except httpx.TransportError as ex:
        print(f'error: cannot reach {args.url}: {ex}', file=err)
        return EXIT_UNREACHABLE


def _client(args: argparse.Namespace) -> Client:
    auth: Any = None
    if args.token:
        auth = args.token
    elif args.user:
        auth = (args.user, args.password or '')
    fmt = 'xml' if args.output == 'xml' else args.format
    return Client(
        args.url, auth, version=args.api_version, format=fmt, timeout=args.timeout
    )


def _walk(client: Client, path: list[str]) -> Resource:
    """Follow a path of rels and item names from the root."""
    here = client.root()
    for word in path:
        if here.has(word):
            here = here.follow(word)
        elif isinstance(here, Collection):
            here = _pick(here, word)
        else:
            rels = ', '.join(sorted({link.rel for link in here.links}))
            raise PathError(f'{word!r} is not a link of {here!r} (links: {rels})')
    return here


def _pick(collection: Collection, word: str) -> Resource:
    for item in collection:
        self_link = item.link_or_none('self')
        names = {str(item.get('id')), str(item.get('name'))}
        if self_link is not None and self_link.title:
            names.add(self_link.title)
        if word in names:
            return item
    raise PathError(f'no item {word!r} in {collection!r}')


def _get(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    _show(_walk(client, args.path), args, out)
    return 0


def _tasks(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    if args.output == 'xml':
        raise ValueError('tasks lists in a table or JSON; for XML use: get tasks')
    root = client.root()
    statuses = args.status or [None]
    rows: list[Resource] = []
    for status in statuses:
        listing = root.follow(status) if status else root.follow('tasks')
        for task in listing:
            if args.task_type and task.get('type') != args.task_type:
                continue
            rows.append(task)
            if args.limit and len(rows) >= args.limit:
                break
    if args.output == 'table':
        out.write(render('tasks', rows))
    else:
        _dump([{'links': _links(row), **row.data} for row in rows], args, out)
    return 0


def _act(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    *path, rel = args.path
    target = _walk(client, path)
    body = orjson.loads(args.body) if args.body else None
    answer = target.act(rel, body)
    if not (args.wait and isinstance(answer, Task)):
        _show(answer, args, out)
        return 0
    with progress_printer(sys.stderr) as show_progress:
        ended = answer.wait(timeout=args.wait_timeout, on_progress=show_progress)
    _show(ended, args, out)
    return 0


def _show(resource: Resource, args: argparse.Namespace, out: TextIO) -> None:
    if args.output == 'table':
        out.write(render(resource.media.name if resource.media else '', resource))
        return
    doc = {'links': _links(resource), **resource.data}
    _dump(doc, args, out, resource)


def _dump(doc: Any, args: argparse.Namespace, out: TextIO, resource=None) -> None:
    if args.output == 'xml' and resource is not None:
        out.write(resource.body.decode())
        out.write('\n')
        return
    out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    out.write('\n')


def _links(resource: Resource) -> list[dict[str, str]]:
    return [
        {key: value for key, value in vars(link).items() if value is not None}
        for link in resource.links
    ]


_COMMANDS = {'get': _get, 'tasks': _tasks, 'act': _act}
