"""Load generators: ``wrk`` when installed, else a keep-alive Python client.

Both run a fixed number of connections for a bounded time against one URL
and return the same :class:`Figures`, so the report never cares which one
ran. ``wrk`` is preferred: a Python client on a 2-core machine takes CPU
from the server it measures.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ['Figures', 'Request', 'run_load']


@dataclass(frozen=True)
class Request:
    """What every request of a scenario sends."""

    url: str
    method: str = 'GET'
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b''


@dataclass(frozen=True)
class Figures:
    """What one load run measured."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # transport errors and answers other than 2xx/3xx
    tool: str


def run_load(request: Request, seconds: float, connections: int = 16) -> Figures:
    """Drive ``request`` from ``connections`` keep-alive connections."""
    if shutil.which('wrk'):
        return _wrk(request, seconds, connections)
    return _python(request, seconds, connections)


# -- wrk ---------------------------------------------------------------------

_WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
"""


def _lua(text: str) -> str:
    """Return a Lua long-bracket string literal (no escapes needed)."""
    return f'[==[{text}]==]'


def _wrk(request: Request, seconds: float, connections: int) -> Figures:
    headers = '\n'.join(
        f'wrk.headers[ {_lua(name)} ] = {_lua(value)}'
        for name, value in request.headers
    )
    script = _WRK_SCRIPT.format(
        method=_lua(request.method), body=_lua(request.body.decode()), headers=headers
    )
    with tempfile.NamedTemporaryFile('w', suffix='.lua') as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(
            [
                'wrk',
                '-t1',
                f'-c{connections}',
                f'-d{max(1, round(seconds))}s',
                '--latency',
                '-s',
                lua.name,
                request.url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return Figures(
        requests=int(_find(r'(\d+) requests in', out)),
        rps=float(_find(r'Requests/sec:\s+([\d.]+)', out)),
        p50_ms=_ms(_find(r'50%\s+([\d.]+\w+)', out)),
        p99_ms=_ms(_find(r'99%\s+([\d.]+\w+)', out)),
        errors=_wrk_errors(out),
        tool='wrk',
    )


def _find(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f'unexpected wrk output:\n{text}')
    return match.group(1)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r'([\d.]+)(\w+)', value).groups()  # type: ignore[union-attr]
    scale = {'us': 0.001, 'ms': 1.0, 's': 1000.0, 'm': 60000.0}[unit]
    return float(number) * scale


def _wrk_errors(out: str) -> int:
    errors = 0
    socket = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+)', out)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if non2xx:
        errors += int(non2xx.group(1))
    return errors


# -- Python fallback -----------------------------------------------------------


def _python(request: Request, seconds: float, connections: int) -> Figures:
    parts = urlsplit(request.url)
    path = parts.path + (f'?{parts.query}' if parts.query else '')
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn.request(
                    request.method,
                    path,
                    body=request.body or None,
                    headers=dict(request.headers),
                )
                answer = conn.getresponse()
                answer.read()
                if answer.status >= 400:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(
                    parts.hostname, parts.port, timeout=30
                )
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return Figures(
        requests=len(latencies),
        rps=len(latencies) / elapsed,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        errors=errors[0],
        tool='python',
    )


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
