"""The whole box (issue 16, target 8): one waitress process against
``abiq serve --processes 2`` on the same database, in one run.

GET a running task (JSON v2, Bearer: the database path) is driven against
both servers in turn, twice, and each keeps its faster run. Both run at once
(the idle one costs nothing) so the runs alternate without restarts. The
long-poll wake latency across the two processes is measured as well: a task
finished by the worker of one process, polled through the other.

    python -m bench.processes            # BENCH_SECONDS, BENCH_CONNECTIONS
    python -m bench.processes --threads 4 --threads 8
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from bench.client import AUTH
from bench.client import Client
from bench.load import Figures
from bench.load import Request
from bench.load import run_load
from bench.owners import children
from bench.owners import owner
from bench.prepare import prepared
from bench.servers import Process
from bench.servers import free_port
from bench.wakeups import wake_latencies

__all__ = ['process_scaling', 'wake_across_processes']

SECONDS = float(os.environ.get('BENCH_SECONDS', '5'))
CONNECTIONS = int(os.environ.get('BENCH_CONNECTIONS', '16'))
JSON = 'application/vnd.abiq.task+json; version=2'
THREADS = 8  # per process: what measured best (docs/deploying.rst)
ONE, TWO = 'GET running task json, 1 process', 'GET running task json, 2 processes'


def serve(
    db: Path, workdir: Path, processes: int, threads: int, workers: int = 0
) -> tuple[Process, str]:
    """Start ``abiq serve --processes N``; return it and its root URL."""
    port = free_port()
    env = {
        'ABIQ_LOG_LEVEL': 'WARNING',
        'ABIQ_DATABASE_URL': f'sqlite:///{db}',
        'ABIQ_SIM_LATENCY': '0',
    }
    command = [
        *('serve', '--port', str(port), '--workers', str(workers)),
        *('--processes', str(processes), '--threads', str(threads)),
    ]
    process = Process.abiq(command, env, workdir / f'serve-{processes}p.log')
    process.wait_listening(port)
    return process, f'http://127.0.0.1:{port}/api/'


def process_scaling(
    db: Path, workdir: Path, threads: int = THREADS, rounds: int = 2
) -> dict[str, Figures]:
    """GET a running task from 1 and from 2 processes, alternating, for
    ``rounds`` rounds; keep each one's fastest run."""
    # NOTE: imported here: bench.run imports this module (a cycle otherwise).
    from bench.run import running_task

    one, one_root = serve(db, workdir, 1, threads)
    two, two_root = serve(db, workdir, 2, threads)
    try:
        task = running_task(one_root)
        requests = {
            ONE: Request(task, headers=(AUTH, ('Accept', JSON))),
            TWO: Request(
                task.replace(one_root, two_root), headers=(AUTH, ('Accept', JSON))
            ),
        }
        runs: dict[str, list[Figures]] = {name: [] for name in requests}
        for _ in range(rounds):
            for name, request in requests.items():
                runs[name].append(run_load(request, SECONDS, CONNECTIONS))
    finally:
        one.stop()
        two.stop()
    return {name: max(each, key=lambda run: run.rps) for name, each in runs.items()}


def wake_across_processes(db: Path, workdir: Path) -> dict[str, dict]:
    """Long-poll wake latency with ``--processes 2 --workers 1``: the one
    worker runs in the first process; polls held in the second are woken
    through the parent's relay, polls held in the first at once."""
    server, root = serve(db, workdir, 2, THREADS, workers=1)
    try:
        worker_pid = children(server.popen.pid)[0]
        held = _one_in_each(root, children(server.popen.pid))
        return {
            "poll in the worker's process": wake_latencies(root, held[worker_pid]),
            'poll in the other process': wake_latencies(
                root, next(c for pid, c in held.items() if pid != worker_pid)
            ),
        }
    finally:
        server.stop()


def _one_in_each(root: str, pids: list[int], tries: int = 200) -> dict[int, Client]:
    """Open connections until each process holds one."""
    held: dict[int, Client] = {}
    for _ in range(tries):
        client = Client(root)
        client.get(root)
        pid = owner(client.conn.sock, pids)
        if pid in held or pid is None:
            client.close()
        else:
            held[pid] = client
        if len(held) == len(pids):
            return held
    raise RuntimeError(f'no connection landed in each of {pids}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--threads', type=int, action='append', help='per process (repeatable)'
    )
    parser.add_argument('--rounds', type=int, default=2, help='alternations')
    args = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix='abiq-bench-') as tmp:
        workdir = Path(tmp)
        db = prepared(100_000, workdir).path
        for threads in args.threads or [THREADS]:
            figures = process_scaling(db, workdir, threads, args.rounds)
            results[f'threads {threads}'] = {
                **{name: vars(each) for name, each in figures.items()},
                'ratio': figures[TWO].rps / figures[ONE].rps,
            }
            print(json.dumps({f'threads {threads}': results[f'threads {threads}']}))
        empty = prepared(0, workdir).path
        results['wake'] = wake_across_processes(empty, workdir)
    print(json.dumps(results, indent=2))


if __name__ == '__main__':
    main()
