"""The DRF peer's figures (issue 16, target 1), scenario by scenario.

:mod:`bench.drf_peer` is started on its own copy of each prepared database
(100k and 1M tasks) and asked what abiq is asked, in the same order, by the
same load generator: the first task of the first page (finished), a running
task it was POSTed (two jobs), the first and the last page of 25, and, last
(each one adds a row), POST an external task. The figures come back under
abiq's scenario names (:data:`bench.scenarios.PEER_SCENARIOS`)::

    python -m bench.peer          # the peer alone, printed
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson

from bench.client import AUTH
from bench.client import Client
from bench.load import Figures
from bench.load import Request
from bench.prepare import prepared
from bench.scenarios import EXTERNAL_TASK
from bench.scenarios import GET_RUNNING
from bench.scenarios import GET_TASK
from bench.scenarios import POST_EXTERNAL
from bench.scenarios import RUNNING_TASK
from bench.servers import Process
from bench.servers import free_port

__all__ = ['peer_figures']

JSON = (('Accept', 'application/json'),)
POST_JSON = (('Content-Type', 'application/json'),)
PAGE = 25
Measure = Callable[[Request], Figures]


def start(
    db: Path, workdir: Path, threads: int, affinity: str = 'auto'
) -> tuple[Process, str]:
    """Serve the peer on ``db`` (``affinity``: as ``--cpu-affinity``);
    return it and its tasks collection's URL."""
    port = free_port()
    process = Process(
        [
            *('-m', 'bench.drf_peer', str(port), str(db)),
            *('--threads', str(threads), '--cpu-affinity', affinity),
        ],
        {},
        workdir / f'drf-peer-{db.stem}.log',
    )
    process.wait_listening(port)
    return process, f'http://127.0.0.1:{port}/api/tasks'


def peer_figures(
    workdir: Path, threads: int, measure: Measure, affinity: str = 'auto'
) -> dict[str, Figures]:
    """Measure the peer on 100k then 1M tasks, each run by ``measure``."""
    mine = workdir / 'peer'
    mine.mkdir(exist_ok=True)
    results: dict[str, Figures] = {}
    for label, tasks in (('100k', 100_000), ('1M', 1_000_000)):
        db = prepared(tasks, mine).path
        process, tasks_url = start(db, mine, threads, affinity)
        try:
            if label == '100k':
                results.update(task_scenarios(tasks_url, measure))
            results.update(page_scenarios(tasks_url, label, measure))
            if label == '100k':
                body = orjson.dumps(EXTERNAL_TASK)
                post = Request(tasks_url, 'POST', (AUTH, *POST_JSON), body)
                results[POST_EXTERNAL] = measure(post)
        finally:
            process.stop()
            # NOTE: with its WAL and shared-memory files, or the next copy
            # under this name would be read with this one's WAL (malformed)
            for path in (db, *db.parent.glob(f'{db.name}-*')):
                path.unlink()
    return results


def task_scenarios(tasks_url: str, measure: Measure) -> dict[str, Figures]:
    """GET the first task of the first page, and a running task."""
    client = Client(tasks_url)
    try:
        first = client.get(f'{tasks_url}?limit={PAGE}', Accept='application/json')
        reply = client.request(
            'POST', tasks_url, RUNNING_TASK, Content_Type='application/json'
        )
    finally:
        client.close()
    if reply.status != 201:
        raise RuntimeError(f'POST {tasks_url}: {reply.status} {reply.doc}')
    return {
        GET_TASK: measure(
            Request(first.doc['results'][0]['url'], headers=(AUTH, *JSON))
        ),
        GET_RUNNING: measure(Request(reply.doc['url'], headers=(AUTH, *JSON))),
    }


def page_scenarios(tasks_url: str, label: str, measure: Measure) -> dict[str, Figures]:
    """GET the first page of 25 and the last (the offset abiq's ``last``
    link has: the last whole multiple of 25 below the count)."""
    client = Client(tasks_url)
    try:
        count = client.get(f'{tasks_url}?limit={PAGE}').doc['count']
    finally:
        client.close()
    last = ((count - 1) // PAGE) * PAGE if count else 0
    return {
        f'GET first page {label}': measure(
            Request(f'{tasks_url}?limit={PAGE}&offset=0', headers=(AUTH, *JSON))
        ),
        f'GET last page {label}': measure(
            Request(f'{tasks_url}?limit={PAGE}&offset={last}', headers=(AUTH, *JSON))
        ),
    }


def main() -> None:
    from bench.run import CONNECTIONS
    from bench.run import best_of_two
    from bench.run import serve_threads

    with tempfile.TemporaryDirectory(prefix='abiq-bench-peer-') as tmp:
        figures = peer_figures(Path(tmp), serve_threads(), best_of_two)
    print(f'DRF peer, {CONNECTIONS} connections:')
    for name, fig in figures.items():
        print(
            f'{name:28} {fig.rps:9.0f} req/s  p50 {fig.p50_ms:7.2f} ms  '
            f'p99 {fig.p99_ms:7.2f} ms  errors {fig.errors}'
        )


if __name__ == '__main__':
    main()
