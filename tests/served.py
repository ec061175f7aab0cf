"""A real ``abiq serve`` on loopback with the demo data, for tests that run
commands against it (the command-line client, the tutorial)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.engine_support import eventually


@dataclass(frozen=True)
class Served:
    """A running server: its root URL, the environment it runs with and
    its process id."""

    root: str
    env: dict[str, str]
    cwd: Path
    pid: int = 0

    def abiq(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """Run an ``abiq`` command (plain pipes, no terminal)."""
        return run_abiq(*args, env={**self.env, **env}, cwd=self.cwd)


def run_abiq(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run an ``abiq`` command with this interpreter; capture its output."""
    return subprocess.run(
        [sys.executable, '-m', 'abiq.cli', *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextmanager
def demo_server(
    workdir: Path, *, serve_args: tuple[str, ...] = (), **settings: str
) -> Iterator[Served]:
    """Run ``abiq init --demo`` and ``abiq serve`` (2 workers) in ``workdir``,
    with ``serve_args`` added to ``abiq serve``; ``settings`` (environment
    variables) add to or replace the defaults."""
    env = {
        **os.environ,
        'ABIQ_DATABASE_URL': f'sqlite:///{workdir}/demo.db',
        'ABIQ_ADMIN_PASSWORD': 'admin-secret',
        'ABIQ_SIM_LATENCY': '0.05',
        **settings,
    }
    init = run_abiq('init', '--demo', env=env, cwd=workdir)
    assert init.returncode == 0, init.stderr
    with serving(env, workdir, *serve_args) as (root, pid):
        yield Served(root, env, workdir, pid)


@contextmanager
def serving(
    env: dict[str, str],
    workdir: Path,
    *serve_args: str,
    command: tuple[str, ...] = (sys.executable, '-m', 'abiq.cli'),
) -> Iterator:
    """Run ``abiq serve`` with an environment; yield (root URL, pid) once
    it answers HTTP. ``command`` is the ``abiq`` to run (an installed one)."""
    port = free_port()
    server = subprocess.Popen(
        [*command, 'serve', '--port', str(port), *serve_args],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f'http://127.0.0.1:{port}/api/'
    try:
        eventually(lambda: _answers(root), timeout=60)
        yield root, server.pid
    finally:
        server.terminate()
        server.wait(30)


def _answers(root: str) -> bool:
    """Tell whether a server answers HTTP (/health may rightly say 503)."""
    try:
        with urllib.request.urlopen(root + 'health', timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
