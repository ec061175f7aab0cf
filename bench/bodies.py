"""What a request body of many links costs, in process (API.md section 10).

Posts external tasks through the WSGI app, with no server in between, and
prints the CPU time of one request, and what its links add to an empty
body's, for bodies of 0 and 1,000 links (the most a body may hold) in JSON
and XML, with links to no entity and to a target (which is resolved), and
for a refused body of 1,001 links. Figures only: nothing here passes or
fails.

    python -m bench.bodies
    BENCH_BODY_ROUNDS=50 python -m bench.bodies
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import orjson
from falcon import testing

from abiq.app import create_app
from abiq.config import Config
from abiq.limits import MAX_LINKS
from bench.client import AUTH
from bench.prepare import build

__all__ = ['body_costs', 'main']

ROUNDS = int(os.environ.get('BENCH_BODY_ROUNDS', '20'))
TYPES = {
    'json': 'application/vnd.abiq.task+json; version=2',
    'xml': 'application/vnd.abiq.task+xml; version=2',
}
BASE = 'http://127.0.0.1/api'


def _body(fmt: str, count: int, rel: str) -> bytes:
    """Return a task body with ``count`` links of a rel."""
    hrefs = [
        f'{BASE}/enterprises/1' if rel == 'target' else f'{BASE}/elsewhere/{index}'
        for index in range(count)
    ]
    if fmt == 'json':
        links = [{'rel': rel, 'href': href} for href in hrefs]
        return orjson.dumps({'type': 'BENCH', 'links': links})
    items = b''.join(f'<link rel="{rel}" href="{h}"/>'.encode() for h in hrefs)
    return b'<task>' + items + b'<type>BENCH</type></task>'


def _cpu_ms(client: testing.TestClient, fmt: str, body: bytes) -> tuple[float, str]:
    """Return the least CPU time of one POST over the rounds, in ms."""
    headers = {AUTH[0]: AUTH[1], 'Content-Type': TYPES[fmt]}
    best, status = float('inf'), ''
    for _ in range(ROUNDS + 1):  # the first round warms up
        started = time.process_time()
        result = client.simulate_post('/api/tasks', body=body, headers=headers)
        best = min(best, time.process_time() - started)
        status = result.status
    return best * 1000, status


def body_costs(workdir: Path) -> list[dict]:
    """Measure every body; return one row per format and body."""
    url = f'sqlite:///{workdir}/bodies.db'
    build(url, 0)
    app = create_app(Config(database_url=url, sim_latency=0, log_level='WARNING'))
    client = testing.TestClient(app, headers={'Host': '127.0.0.1'})
    rows = []
    for fmt in TYPES:
        empty, _status = _cpu_ms(client, fmt, _body(fmt, 0, 'related'))
        for count, rel in ((MAX_LINKS, 'related'), (MAX_LINKS, 'target'), (1001, 'x')):
            cost, status = _cpu_ms(client, fmt, _body(fmt, count, rel))
            rows.append(
                {
                    'format': fmt,
                    'links': count,
                    'rel': rel,
                    'status': status,
                    'cpu_ms': cost,
                    'added_ms': cost - empty,
                    'empty_ms': empty,
                }
            )
    return rows


def main() -> None:
    """Print the figures as a table."""
    with tempfile.TemporaryDirectory() as folder:
        rows = body_costs(Path(folder))
    print(f'CPU of one POST of an external task, in process (best of {ROUNDS})')
    print(f'{"format":<7}{"links":>6} {"rel":<8}{"status":<18}{"ms":>8}{"+ms":>8}')
    for row in rows:
        print(
            f'{row["format"]:<7}{row["links"]:>6} {row["rel"]:<8}{row["status"]:<18}'
            f'{row["cpu_ms"]:>8.2f}{row["added_ms"]:>8.2f}'
        )
    print('+ms: what the links add to the same POST without links')


if __name__ == '__main__':
    main()
