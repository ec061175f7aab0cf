"""Start, watch and stop the server processes a benchmark measures."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

__all__ = ['Process', 'free_port']

PYTHON = sys.executable


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Process:
    """A server or worker process with its log file; stopped on exit."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, 'w') as out:
            self.popen = subprocess.Popen(
                [PYTHON, *args],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @classmethod
    def abiq(cls, command: list[str], env: dict[str, str], log: Path) -> Process:
        """Run an ``abiq`` command (``serve ...``, ``worker ...``)."""
        return cls(['-m', 'abiq.cli', *command], env, log)

    def wait_listening(self, port: int, timeout: float = 60.0) -> None:
        """Return once the port accepts connections; fail if the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f'{self.log} ended early:\n{self.log.read_text()}')
            try:
                socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)  # polling a port, not synchronising threads
        raise RuntimeError(f'nothing listens on {port} after {timeout} s')

    def memory_mb(self) -> tuple[float, float]:
        """Return (resident, peak resident) MiB, from /proc."""
        status = Path(f'/proc/{self.popen.pid}/status').read_text()
        values = {}
        for line in status.splitlines():
            name, _, rest = line.partition(':')
            if name in ('VmRSS', 'VmHWM'):
                values[name] = int(rest.split()[0]) / 1024
        return values['VmRSS'], values['VmHWM']

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
