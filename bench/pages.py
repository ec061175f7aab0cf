"""What a page of 25 tasks costs as HTML against its JSON (issue 15), in process.

The WSGI app is called directly (no server, no client; the environ is built
outside the timer), for the first page of the tasks of a bench database, by
the bench admin with its Bearer token: once as a JSON client asks, once as a
browser asks (``text/html,...``), alternating for ``BENCH_PAGE_ROUNDS``
rounds after a warm-up. The figures are the median and mean wall time of
one call and the ratio HTML/JSON. ``--profile`` runs more HTML calls under
pyinstrument and prints where their time goes. Figures only: nothing here
passes or fails.

    python -m bench.pages                  # on the cached 100k database
    BENCH_PAGE_ROUNDS=2000 python -m bench.pages --profile
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from falcon import testing

from abiq.app import create_app
from abiq.config import Config
from bench import report
from bench.client import AUTH
from bench.prepare import prepared

__all__ = ['ACCEPT', 'BROWSER', 'call', 'page_costs', 'profile', 'wsgi_app']

ROUNDS = int(os.environ.get('BENCH_PAGE_ROUNDS', '500'))
WARM_UP = 50
#: what Firefox and Chrome send for a page
BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
ACCEPT = {'json': 'application/vnd.abiq.tasks+json; version=2', 'html': BROWSER}
HOST = '127.0.0.1'

App = Callable[..., Any]


def wsgi_app(db: Path) -> App:
    """Return the abiq WSGI app on a database, as ``abiq serve`` builds it."""
    return create_app(
        Config(database_url=f'sqlite:///{db}', sim_latency=0, log_level='WARNING')
    )


def call(
    app: App,
    url: str,
    accept: str,
    method: str = 'GET',
    body: bytes = b'',
    content_type: str | None = None,
) -> tuple[float, float, str, bytes]:
    """Send one request through the app; return (wall seconds, CPU seconds
    of this thread, status, body).

    Only the app call and the reading of its body are timed. The CPU time
    leaves out what other processes of a shared machine take meanwhile.
    """
    parts = urlsplit(url)
    headers = {AUTH[0]: AUTH[1], 'Accept': accept}
    if content_type:
        headers['Content-Type'] = content_type
    environ = testing.create_environ(
        method=method,
        path=parts.path,
        query_string=parts.query,
        host=HOST,
        headers=headers,
        body=body,
    )
    answer: list[str] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        answer.append(status)

    started, cpu = time.perf_counter(), time.thread_time()
    body = b''.join(app(environ, start_response))
    wall = time.perf_counter() - started
    return wall, time.thread_time() - cpu, answer[0], body


def first_page(app: App) -> str:
    """Return the URL of the first page of tasks (root -> tasks -> first)."""
    *_, body = call(app, f'http://{HOST}/api/', 'application/json')
    tasks = _link(orjson.loads(body), 'tasks')
    *_, status, body = call(app, tasks, ACCEPT['json'])
    if not status.startswith('200'):
        raise RuntimeError(f'GET {tasks}: {status}')
    return _link(orjson.loads(body), 'first')


def _link(doc: dict, rel: str) -> str:
    return next(link['href'] for link in doc['links'] if link['rel'] == rel)


def page_costs(app: App, rounds: int = ROUNDS) -> dict:
    """Time the first page as JSON and as HTML, alternating, ``rounds`` each."""
    url = first_page(app)
    walls: dict[str, list[float]] = {fmt: [] for fmt in ACCEPT}
    cpus: dict[str, list[float]] = {fmt: [] for fmt in ACCEPT}
    bodies: dict[str, bytes] = {}
    for index in range(WARM_UP + rounds):
        for fmt, accept in ACCEPT.items():
            wall, cpu, status, body = call(app, url, accept)
            if not status.startswith('200'):
                raise RuntimeError(f'GET {url} as {fmt}: {status}')
            if index >= WARM_UP:
                walls[fmt].append(wall)
                cpus[fmt].append(cpu)
            bodies[fmt] = body
    figures: dict[str, Any] = {'url': url, 'rounds': rounds}
    for fmt in ACCEPT:
        figures[fmt] = {
            'median_us': statistics.median(walls[fmt]) * 1e6,
            'mean_us': statistics.mean(walls[fmt]) * 1e6,
            'cpu_median_us': statistics.median(cpus[fmt]) * 1e6,
            'bytes': len(bodies[fmt]),
        }
    figures['json']['items'] = len(orjson.loads(bodies['json'])['collection'])
    figures['html']['items'] = bodies['html'].count(b'data-rel="item"')
    for stat in ('median_us', 'mean_us', 'cpu_median_us'):
        ratio = figures['html'][stat] / figures['json'][stat]
        figures[f'ratio_{stat.removesuffix("_us")}'] = ratio
    return figures


def profile(app: App, rounds: int = ROUNDS) -> str:
    """Run ``rounds`` HTML calls of the first page under pyinstrument; return
    its text report."""
    from pyinstrument import Profiler

    url = first_page(app)
    for _ in range(WARM_UP):
        call(app, url, BROWSER)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(rounds):
        call(app, url, BROWSER)
    profiler.stop()
    return profiler.output_text(unicode=True, show_all=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--profile', action='store_true', help='profile the HTML')
    parser.add_argument('--tasks', type=int, default=100_000, help='database size')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='abiq-pages-') as tmp:
        app = wsgi_app(prepared(args.tasks, Path(tmp)).path)
        figures = page_costs(app)
        print(report.page_line(figures))
        for line in report.rows_of(report.page_targets({'pages': figures})):
            print(line)
        if args.profile:
            print(profile(app))


if __name__ == '__main__':
    main()
