"""What the requests clients wait on cost in process (issue 16, target 5).

The WSGI app is called directly (no server, no client: a timer around the
app call and the reading of its body, nothing else), as the bench admin
with its Bearer token, on a copy of a bench database. The scenarios take
turns in blocks of ``BLOCK`` calls (as a poller or a client paging sends
its requests one after another), ``BENCH_INPROCESS_ROUNDS`` calls each
after a warm-up, so a shared machine's drift falls on them alike; the
figures are the median and the minimum wall time of one call, and the
median CPU time of this thread.
Figures only: nothing here passes or fails.

    python -m bench.inprocess                 # on the cached 100k database
    python -m bench.inprocess --tasks 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench import report
from bench.pages import App
from bench.pages import call
from bench.pages import wsgi_app
from bench.prepare import prepared
from bench.scenarios import EXTERNAL_TASK
from bench.scenarios import RUNNING_TASK

__all__ = ['in_process_costs', 'summary']

ROUNDS = int(os.environ.get('BENCH_INPROCESS_ROUNDS', '300'))
WARM_UP = 30
BLOCK = 20
TASK = 'application/vnd.abiq.task+json; version=2'
TASKS_JSON = 'application/vnd.abiq.tasks+json; version=2'
TASKS_XML = 'application/vnd.abiq.tasks+xml; version=2'
SLEEP = 'application/vnd.abiq.sleep+json'
# NOTE: a poll right after the task changed: its answer is rendered again
# (abiq.polled), as every poll of a running task was before issue 16.
RENDERED = 'GET running task, changed'
FORGETTING = frozenset({RENDERED})


def _doc(app: App, url: str, accept: str = 'application/json') -> dict:
    *_, status, body = call(app, url, accept)
    if not status.startswith('200'):
        raise RuntimeError(f'GET {url}: {status}')
    return orjson.loads(body)


def _link(doc: dict, rel: str) -> str:
    return next(link['href'] for link in doc['links'] if link['rel'] == rel)


def _scenarios(app: App) -> dict[str, tuple[str, str, str, bytes, str | None]]:
    """Find every URL by following links from the root; create the running
    task the poll reads. Return name -> (method, url, accept, body, type);
    the names in :data:`FORGETTING` are called with the kept answers of
    unfinished tasks forgotten first (not timed)."""
    root = _doc(app, 'http://127.0.0.1/api/')
    tasks = _doc(app, _link(root, 'tasks'), TASKS_JSON)
    create = _link(tasks, 'create')
    *_, status, answer = call(
        app, create, TASK, 'POST', orjson.dumps(RUNNING_TASK), TASK
    )
    if not status.startswith('201'):
        raise RuntimeError(f'POST {create}: {status} {answer!r}')
    running = _link(orjson.loads(answer), 'self')
    action = orjson.dumps({'jobs': 1, 'seconds': 0})
    external = orjson.dumps(EXTERNAL_TASK)
    return {
        'GET running task': ('GET', running, TASK, b'', None),
        RENDERED: ('GET', running, TASK, b'', None),
        'GET first page': ('GET', _link(tasks, 'first'), TASKS_JSON, b'', None),
        'GET first page XML': ('GET', _link(tasks, 'first'), TASKS_XML, b'', None),
        'GET last page': ('GET', _link(tasks, 'last'), TASKS_JSON, b'', None),
        'POST external task (201)': ('POST', create, TASK, external, TASK),
        'POST action (202)': ('POST', _link(root, 'diagnostics'), TASK, action, SLEEP),
    }


def in_process_costs(app: App, rounds: int = ROUNDS) -> dict[str, dict[str, Any]]:
    """Time every scenario in turn, ``rounds`` calls each after a warm-up."""
    scenarios = _scenarios(app)
    walls: dict[str, list[float]] = {name: [] for name in scenarios}
    cpus: dict[str, list[float]] = {name: [] for name in scenarios}
    for block in range(0, WARM_UP + rounds, BLOCK):
        for name, (method, url, accept, body, content_type) in scenarios.items():
            for index in range(block, block + BLOCK):
                if name in FORGETTING:
                    app.services.polled.answers.clear()
                wall, cpu, status, _ = call(
                    app, url, accept, method, body, content_type
                )
                if not status[:1] == '2':
                    raise RuntimeError(f'{name}: {status}')
                if index >= WARM_UP:
                    walls[name].append(wall)
                    cpus[name].append(cpu)
    return {
        name: {
            'median_us': statistics.median(walls[name]) * 1e6,
            'min_us': min(walls[name]) * 1e6,
            'cpu_median_us': statistics.median(cpus[name]) * 1e6,
            'rounds': len(walls[name]),
        }
        for name in scenarios
    }


def summary(costs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return what issue 16's target 5 reads (medians, microseconds), with
    every scenario's figures."""
    return {
        'running_task_us': costs['GET running task']['median_us'],
        'page_us': max(
            costs['GET first page']['median_us'], costs['GET last page']['median_us']
        ),
        'scenarios': costs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', type=int, default=100_000, help='database size')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='abiq-inprocess-') as tmp:
        app = wsgi_app(prepared(args.tasks, Path(tmp)).path)
        for line in report.in_process_lines(in_process_costs(app)):
            print(line)


if __name__ == '__main__':
    main()
