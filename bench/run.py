"""``make bench``: abiq side by side with the floor, in one run, on loopback.

Prints one table (req/s, p50, p99, errors, ratio to the floor), the task
figures (end-to-end throughput, long-poll wake latency), a page of 25 tasks
as HTML against its JSON in process (:mod:`bench.pages`), peak RSS, and the
targets of docs/performance.rst read off this run; writes the figures as
JSON and a PNG chart under ``bench/results/``. Figures only: nothing here
passes or fails.

    python -m bench.run                # about 5 minutes (more the first time:
                                       # the 1M-task database is built and cached)
    python -m bench.run --soak         # adds the 5-minute RSS soak
    python -m bench.run --pages        # a page as HTML against JSON only (issue 15)
    BENCH_SECONDS=10 python -m bench.run

Settings: ``BENCH_SECONDS`` (per load run, default 5), ``BENCH_CONNECTIONS``
(default 16), ``BENCH_SERVE_ARGS`` (extra ``abiq serve`` options, such as
``--threads 4``), ``ABIQ_BENCH_DATABASE_URL`` (PostgreSQL for the cross-process
wake-up; default the local ``test`` database; skipped when unreachable).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

from bench import report
from bench.client import AUTH
from bench.client import Client
from bench.inprocess import in_process_costs
from bench.inprocess import summary
from bench.load import Figures
from bench.load import Request
from bench.load import run_load
from bench.pages import BROWSER
from bench.pages import page_costs
from bench.pages import wsgi_app
from bench.peer import peer_figures
from bench.prepare import prepared
from bench.processes import ONE as ONE_PROCESS
from bench.processes import TWO as TWO_PROCESSES
from bench.processes import process_scaling
from bench.processes import wake_across_processes
from bench.report import HTML_PAGE
from bench.scenarios import EXTERNAL_TASK
from bench.scenarios import POST_EXTERNAL
from bench.scenarios import RUNNING_TASK
from bench.scenarios import XML_PAGE
from bench.servers import Process
from bench.servers import free_port
from bench.wakeups import end_to_end
from bench.wakeups import wake_latency_across_processes
from bench.wakeups import wake_latency_in_process

SECONDS = float(os.environ.get('BENCH_SECONDS', '5'))
CONNECTIONS = int(os.environ.get('BENCH_CONNECTIONS', '16'))
JSON = 'application/vnd.abiq.task+json; version=2'
XML = 'application/vnd.abiq.task+xml; version=2'
PAGES = 'application/vnd.abiq.tasks+json; version=2'
XML_PAGES = 'application/vnd.abiq.tasks+xml; version=2'
QUIET = {'ABIQ_LOG_LEVEL': 'WARNING'}
RSS_REQUESTS = 100_000
# NOTE: extra `abiq serve` options to compare settings, e.g. "--threads 4"
SERVE_ARGS = os.environ.get('BENCH_SERVE_ARGS', '').split()


def best_of_two(request: Request) -> Figures:
    """Run a scenario twice; keep the faster run (the first may be cold)."""
    return alternating(request)[0]


def alternating(*requests: Request) -> list[Figures]:
    """Run scenarios in turn, twice; keep each one's faster run. Scenarios
    compared with each other alternate, so a shared machine's drift falls
    on them alike."""
    runs: list[list[Figures]] = [[] for _ in requests]
    for _ in range(2):
        for request, figures in zip(requests, runs, strict=True):
            figures.append(run_load(request, SECONDS, CONNECTIONS))
    return [max(figures, key=lambda run: run.rps) for figures in runs]


def serve(
    db: Path, workdir: Path, name: str, workers: int = 0, **settings: str
) -> tuple[Process, str]:
    """Start ``abiq serve`` on a database; return it and its root URL."""
    port = free_port()
    env = {
        **QUIET,
        'ABIQ_DATABASE_URL': f'sqlite:///{db}',
        'ABIQ_SIM_LATENCY': '0',
        **settings,
    }
    process = Process.abiq(
        ['serve', '--port', str(port), '--workers', str(workers), *SERVE_ARGS],
        env,
        workdir / f'{name}.log',
    )
    process.wait_listening(port)
    return process, f'http://127.0.0.1:{port}/api/'


def floors(db: Path, workdir: Path, task_id: str) -> dict[str, Figures]:
    """Measure the two floor apps."""
    results = {}
    for kind in ('fixed', 'sqlite'):
        port = free_port()
        process = Process(
            ['-m', 'bench.floor', kind, str(port), str(db)],
            {},
            workdir / f'floor-{kind}.log',
        )
        try:
            process.wait_listening(port)
            url = f'http://127.0.0.1:{port}/api/tasks/{task_id}'
            results[f'floor: {kind}'] = best_of_two(Request(url))
        finally:
            process.stop()
    return results


def http_scenarios(root: str, label: str) -> dict[str, Figures]:
    """GET a task (JSON, XML) and the first and last pages of 25 (the
    first of 100k as HTML too)."""
    client = Client(root)
    tasks = client.get(client.get(root).link('tasks'))
    task_url = tasks.doc['collection'][0]['links'][0]['href']
    last_url = tasks.link('last')
    client.close()
    json_get = Request(task_url, headers=(AUTH, ('Accept', JSON)))
    results = {}
    if label == '100k':
        results['GET task json'] = best_of_two(json_get)
        results['GET task xml'] = best_of_two(
            Request(task_url, headers=(AUTH, ('Accept', XML)))
        )
        # NOTE: a finished task is answered from memory; a running one is
        # read from the database on every request, as a poller sees it.
        running = Request(running_task(root), headers=(AUTH, ('Accept', JSON)))
        results['GET running task json'] = best_of_two(running)
    results.update(page_scenarios(tasks.link('first'), last_url, label))
    return results


def page_scenarios(first: str, last: str, label: str) -> dict[str, Figures]:
    """GET the first and last pages of 25; with 100k tasks, the first page
    as a browser asks for it (issue 15) and as XML (issue 16) too,
    alternating with its JSON."""
    json_first = Request(first, headers=(AUTH, ('Accept', PAGES)))
    json_last = Request(last, headers=(AUTH, ('Accept', PAGES)))
    if label != '100k':
        return {
            f'GET first page {label}': best_of_two(json_first),
            f'GET last page {label}': best_of_two(json_last),
        }
    html_first = Request(first, headers=(AUTH, ('Accept', BROWSER)))
    xml_first = Request(first, headers=(AUTH, ('Accept', XML_PAGES)))
    json_page, html_page, xml_page = alternating(json_first, html_first, xml_first)
    return {
        f'GET first page {label}': json_page,
        f'GET last page {label}': best_of_two(json_last),
        HTML_PAGE: html_page,
        XML_PAGE: xml_page,
    }


def running_task(root: str) -> str:
    """Create a running external task with two jobs; return its URL."""
    client = Client(root)
    try:
        create = client.get(client.get(root).link('tasks')).link('create')
        reply = client.request('POST', create, RUNNING_TASK, Content_Type=JSON)
        if reply.status != 201:
            raise RuntimeError(f'POST {create}: {reply.status} {reply.doc}')
        return reply.headers['Location']
    finally:
        client.close()


def post_action(root: str) -> Figures:
    """POST the diagnostics action (202 each; no workers run the tasks)."""
    client = Client(root)
    diagnostics = client.get(root).link('diagnostics')
    client.close()
    body = b'{"jobs": 1, "seconds": 0}'
    headers = (AUTH, ('Content-Type', 'application/vnd.abiq.sleep+json'))
    return best_of_two(Request(diagnostics, 'POST', headers, body))


def serve_threads() -> int:
    """Return the ``--threads`` abiq is served with (``abiq serve``'s 8
    unless ``BENCH_SERVE_ARGS`` says otherwise): the peer gets as many."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--threads', type=int, default=8)
    return parser.parse_known_args(SERVE_ARGS)[0].threads


def post_external(root: str) -> Figures:
    """POST an external task to the tasks' ``create`` link (201 each, a new
    task each time; the DRF peer is asked the same)."""
    client = Client(root)
    create = client.get(client.get(root).link('tasks')).link('create')
    client.close()
    headers = (AUTH, ('Content-Type', JSON))
    return best_of_two(Request(create, 'POST', headers, orjson.dumps(EXTERNAL_TASK)))


def peer(workdir: Path) -> dict:
    """The DRF peer's figures (issue 16, target 1), as saved: each
    scenario's best of the peer kept on one CPU (as abiq serves) and free to
    move (as DRF is usually served; its SQLite work outside the GIL may then
    use the other core)."""
    runs = [
        peer_figures(workdir, serve_threads(), best_of_two, affinity)
        for affinity in ('auto', 'none')
    ]
    return {
        name: vars(max((run[name] for run in runs), key=lambda f: f.rps))
        for name in runs[0]
    }


def first_task_url(root: str) -> str:
    """Follow root -> tasks -> the first task's self link."""
    client = Client(root)
    try:
        first = client.get(client.get(root).link('tasks')).doc['collection'][0]
    finally:
        client.close()
    return first['links'][0]['href']


def top_up(root: str, figures: dict[str, Figures]) -> int:
    """Send GETs until the server has answered 100k requests in all."""
    done = sum(f.requests for f in figures.values())
    url = first_task_url(root)
    while done < RSS_REQUESTS:
        done += run_load(Request(url, headers=(AUTH,)), SECONDS, CONNECTIONS).requests
    return done


def soak(root: str, process: Process, minutes: float = 5.0) -> list[float]:
    """GET load for ``minutes``; return the RSS (MiB) after each slice."""
    url = first_task_url(root)
    samples = []
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() < deadline:
        run_load(Request(url, headers=(AUTH,)), 10, CONNECTIONS)
        samples.append(process.memory_mb()[0])
    return samples


def synchronous_normal(db: Path, workdir: Path) -> dict:
    """What ``synchronous=FULL`` (the default) costs: the write scenarios
    again with ``ABIQ_SQLITE_SYNCHRONOUS=normal``."""
    normal = {'ABIQ_SQLITE_SYNCHRONOUS': 'normal'}
    server, root = serve(db, workdir, 'serve-normal', **normal)
    try:
        figures = {'POST action': vars(post_action(root))}
    finally:
        server.stop()
    empty = prepared(0, workdir)
    server, root = serve(empty.path, workdir, 'serve-normal-workers', 2, **normal)
    try:
        figures['end_to_end_sqlite'] = end_to_end(root, empty.path)
    finally:
        server.stop()
    return figures


def pages_only(workdir: Path) -> dict:
    """The figures of issue 15 alone: a page of 25 tasks as HTML against its
    JSON, in process and over HTTP (100k tasks)."""
    small = prepared(100_000, workdir)
    results: dict = {'pages': page_costs(wsgi_app(small.path))}
    server, root = serve(small.path, workdir, 'serve-pages')
    try:
        client = Client(root)
        tasks = client.get(client.get(root).link('tasks'))
        client.close()
        http = page_scenarios(tasks.link('first'), tasks.link('last'), '100k')
    finally:
        server.stop()
    results['http'] = {name: vars(figures) for name, figures in http.items()}
    return results


def whole_box(db: Path, workdir: Path, http: dict[str, Figures]) -> dict:
    """GET a running task from one waitress process and from two serving
    processes (issue 16, target 8), alternating; the figures join the table."""
    scaling = process_scaling(db, workdir)
    http.update(scaling)
    return {
        'processes': 2,
        'running_task_rps': scaling[TWO_PROCESSES].rps,
        'one_process_rps': scaling[ONE_PROCESS].rps,
    }


def pg_workers() -> dict:
    """Tasks/s of 1 and 2 ``abiq worker`` processes on PostgreSQL (issue 16,
    target 7; :mod:`bench.pg_workers`), alternating, best of two each."""
    env = {**os.environ, 'BENCH_PROCESSES': '1,2,1,2'}
    done = subprocess.run(
        [sys.executable, '-m', 'bench.pg_workers', '--json'],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {'skipped': done.stderr.strip().splitlines()[-1:]}
    return orjson.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--soak', action='store_true', help='add the 5-minute soak')
    parser.add_argument(
        '--pages', action='store_true', help='only a page as HTML against JSON'
    )
    args = parser.parse_args()
    results: dict = {'settings': {'seconds': SECONDS, 'connections': CONNECTIONS}}
    if not shutil.which('wrk'):
        # NOTE: said first: a run without wrk looked like a regression (two
        # serving processes 0.54x one) when the load itself took the CPUs.
        print(
            'load: a Python client, wrk is not installed (apt-get install wrk); '
            'it takes CPU from the servers: req/s and ratios are not comparable '
            'with docs/performance.rst',
            flush=True,
        )
    if args.pages:
        with tempfile.TemporaryDirectory(prefix='abiq-bench-') as tmp:
            results.update(pages_only(Path(tmp)))
        report.show_pages(results)
        return
    with tempfile.TemporaryDirectory(prefix='abiq-bench-') as tmp:
        workdir = Path(tmp)
        small = prepared(100_000, workdir)
        big = prepared(1_000_000, workdir)
        http = floors(small.path, workdir, small.task_id)
        # NOTE: in process while no server runs, so nothing else takes the CPU
        results['pages'] = page_costs(wsgi_app(small.path))
        results['in_process'] = summary(in_process_costs(wsgi_app(small.path)))

        server, root = serve(small.path, workdir, 'serve-100k')
        try:
            http.update(http_scenarios(root, '100k'))
            http['POST action'] = post_action(root)
            http[POST_EXTERNAL] = post_external(root)
            served = top_up(root, http)
            rss, peak = server.memory_mb()
            results['memory'] = {'requests': served, 'rss_mb': rss, 'peak_mb': peak}
            if args.soak:
                samples = soak(root, server)
                results['memory']['soak_mb'] = samples
        finally:
            server.stop()

        server, root = serve(big.path, workdir, 'serve-1m')
        try:
            http.update(http_scenarios(root, '1M'))
        finally:
            server.stop()
        results['peer'] = peer(workdir)
        results['whole_box'] = whole_box(small.path, workdir, http)

        empty = prepared(0, workdir)
        server, root = serve(empty.path, workdir, 'serve-workers', workers=2)
        try:
            results['tasks'] = {
                'end_to_end_sqlite': end_to_end(root, empty.path),
                'wake_in_process': wake_latency_in_process(root),
            }
        finally:
            server.stop()
        results['tasks']['wake_across_processes'] = wake_latency_across_processes(
            workdir
        )
        results['tasks']['wake_across_serving_processes'] = wake_across_processes(
            prepared(0, workdir).path, workdir
        )
        results['synchronous_normal'] = synchronous_normal(small.path, workdir)
        results['pg_workers'] = pg_workers()
    results['http'] = {name: vars(figures) for name, figures in http.items()}
    report.show(results)
    report.save(results)


if __name__ == '__main__':
    threading.current_thread().name = 'bench'
    main()
