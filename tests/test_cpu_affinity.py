"""``--cpu-affinity``: a serving or worker process keeps all its threads on
one CPU (:mod:`abiq.affinity`), N serving processes on N CPUs, lone
processes started together on different CPUs, and
``none`` leaves them where the operating system puts them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.owners import children
from tests.engine_support import eventually
from tests.served import demo_server
from tests.served import run_abiq

pytestmark = pytest.mark.skipif(
    not hasattr(os, 'sched_getaffinity') or len(os.sched_getaffinity(0)) < 2,
    reason='CPU affinity needs Linux and two CPUs or more',
)


def thread_cpus(pid: int) -> list[frozenset[int]]:
    """Return the CPUs each thread of a process may run on."""
    found = []
    for task in Path(f'/proc/{pid}/task').iterdir():
        try:
            found.append(frozenset(os.sched_getaffinity(int(task.name))))
        except ProcessLookupError:
            continue
    return found


def test_a_serving_process_keeps_every_thread_on_one_cpu(tmp_path):
    with demo_server(tmp_path) as served:
        cpus = thread_cpus(served.pid)
        # NOTE: waitress's 8 request threads, 2 task workers, the main one
        assert len(cpus) >= 11
        assert len(set(cpus)) == 1
        (only,) = set(cpus)
        assert len(only) == 1
        assert only <= os.sched_getaffinity(0)


def test_none_leaves_the_threads_free(tmp_path):
    with demo_server(tmp_path, serve_args=('--cpu-affinity', 'none')) as served:
        assert set(thread_cpus(served.pid)) == {frozenset(os.sched_getaffinity(0))}


def test_serving_processes_are_spread_over_the_cpus(tmp_path):
    with demo_server(tmp_path, serve_args=('--processes', '2')) as served:
        pids = eventually(lambda: children(served.pid) or None, timeout=30)
        assert len(pids) == 2
        assert set(thread_cpus(served.pid)) == {frozenset(os.sched_getaffinity(0))}
        allowed = sorted(os.sched_getaffinity(0))
        wanted = [{frozenset({allowed[0]})}, {frozenset({allowed[1]})}]
        # NOTE: a process pins itself as it starts: one just started has not yet
        eventually(lambda: [set(thread_cpus(pid)) for pid in pids] == wanted)


def test_a_worker_process_keeps_its_threads_on_one_cpu_and_says_which(tmp_path):
    env = {
        **os.environ,
        'ABIQ_DATABASE_URL': f'sqlite:///{tmp_path}/worker.db',
        'ABIQ_ADMIN_PASSWORD': 'admin-secret',
    }
    assert run_abiq('init', env=env, cwd=tmp_path).returncode == 0
    with subprocess.Popen(
        [sys.executable, '-m', 'abiq.cli', 'worker', '--concurrency', '3'],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    ) as worker:
        try:
            banner = worker.stdout.readline()
            cpus = thread_cpus(worker.pid)
        finally:
            worker.terminate()
            worker.wait(30)
    (only,) = set(cpus)
    (cpu,) = only
    assert banner.strip() == f'abiq worker running 3 threads on CPU {cpu}'
    assert len(cpus) >= 4
    assert worker.returncode == 0


def _lone_process(locks: Path) -> subprocess.Popen:
    """Start a process that pins itself as a lone one, says on which CPU,
    and holds it until its input closes."""
    code = (
        'import sys; from pathlib import Path; from abiq.affinity import pin_process; '
        f'print(pin_process("auto", locks=Path({str(locks)!r})), flush=True); '
        'sys.stdin.read()'
    )
    return subprocess.Popen(
        [sys.executable, '-c', code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _cpu_of(process: subprocess.Popen) -> int:
    return int(process.stdout.readline())


def _end(process: subprocess.Popen) -> None:
    process.stdin.close()
    process.wait(30)
    process.stdout.close()


def test_lone_processes_started_together_take_different_cpus(tmp_path):
    allowed = os.sched_getaffinity(0)
    started = [_lone_process(tmp_path) for _ in allowed]
    try:
        cpus = [_cpu_of(process) for process in started]
        assert sorted(cpus) == sorted(allowed)
        # NOTE: every CPU held: one more stays where it starts, pinned
        extra = _lone_process(tmp_path)
        assert _cpu_of(extra) in allowed
        _end(extra)
        # NOTE: a process's CPU is free again once it ends
        _end(started[0])
        again = _lone_process(tmp_path)
        assert _cpu_of(again) == cpus[0]
        _end(again)
    finally:
        for process in started[1:]:
            _end(process)
