"""The targets of issue 16, read off one run's results.

Each target is a row ``(name, met, figure)``; ``met`` is None when this run
has no figure for it. Figures other parts of the bench add are read from
these keys of the results dict (absent: the row says which key is missing):

- ``in_process``: ``running_task_us``, ``page_us`` (target 5: a
  profile-free timer around the app call, microseconds);
- ``pg_workers``: tasks/s by worker processes, ``{'1': ..., '2': ...}``
  (target 7, bench/pg_workers.py);
- ``whole_box``: ``running_task_rps`` (GET a running task, served by
  ``processes`` processes) and ``one_process_rps`` (one waitress process,
  same run) (target 8).
"""

from __future__ import annotations

from bench.scenarios import FLOOR
from bench.scenarios import GET_RUNNING
from bench.scenarios import PEER_SCENARIOS
from bench.scenarios import POST_ACTION
from bench.scenarios import POST_EXTERNAL
from bench.scenarios import XML_PAGE

__all__ = ['issue16_targets']

Row = tuple[str, bool | None, str]
PAGES = (
    'GET first page 100k',
    'GET last page 100k',
    'GET first page 1M',
    'GET last page 1M',
)


def issue16_targets(results: dict) -> list[Row]:
    """Return every target's row, in the issue's order."""
    return [
        peer_ran(results),
        *running_task(results),
        *pages(results),
        *posts(results),
        *in_process(results),
        end_to_end(results),
        *pg_workers(results),
        whole_box(results),
        *memory(results),
    ]


def _missing(name: str, key: str) -> Row:
    return (name, None, f'not measured (results{key})')


def peer_ran(results: dict) -> Row:
    """1. Every scenario the peer shares with abiq ran, without errors."""
    peer = results.get('peer', {})
    failed = [
        name
        for name in PEER_SCENARIOS
        if name not in peer or not peer[name]['requests'] or peer[name]['errors']
    ]
    figure = f'failed or missing: {", ".join(failed)}' if failed else 'every scenario'
    return ('1. the DRF peer in the same run', not failed, figure)


def running_task(results: dict) -> list[Row]:
    """2. GET a running task >= 0.5x the fixed floor, p99 <= 30 ms."""
    http = results['http']
    if GET_RUNNING not in http:
        return [_missing('2. GET running task', f"['http']['{GET_RUNNING}']")]
    running, floor = http[GET_RUNNING], http[FLOOR]['rps']
    return [
        (
            '2. GET running task >= 0.5x floor',
            running['rps'] >= 0.5 * floor,
            f'{running["rps"] / floor:.2f}x',
        ),
        (
            '2. GET running task p99 <= 30 ms',
            running['p99_ms'] <= 30,
            f'{running["p99_ms"]:.1f} ms',
        ),
    ]


def _versus_peer(results: dict, name: str, label: str, peer_name: str) -> Row:
    http, peer = results['http'], results.get('peer', {})
    if peer_name not in peer or not peer[peer_name]['rps']:
        return _missing(label, f"['peer']['{peer_name}']")
    ratio = http[name]['rps'] / peer[peer_name]['rps']
    return (label, ratio >= 5, f'{ratio:.2f}x')


def pages(results: dict) -> list[Row]:
    """3. Pages of 25: >= 5x DRF, >= 0.15x the floor; XML within 20% of JSON."""
    http, floor = results['http'], results['http'][FLOOR]['rps']
    rows = []
    for name in PAGES:
        short = name.removeprefix('GET ')
        rows.append(_versus_peer(results, name, f'3. {short} >= 5x DRF', name))
        ratio = http[name]['rps'] / floor
        rows.append((f'3. {short} >= 0.15x floor', ratio >= 0.15, f'{ratio:.2f}x'))
    if XML_PAGE in http:
        json, xml = http['GET first page 100k']['rps'], http[XML_PAGE]['rps']
        rows.append(
            (
                '3. XML page within 20% of JSON (100k)',
                xml >= 0.8 * json,
                f'{xml / json:.2f}x ({xml:.0f} vs {json:.0f} req/s)',
            )
        )
    else:
        rows.append(
            _missing('3. XML page within 20% of JSON', f"['http']['{XML_PAGE}']")
        )
    return rows


def posts(results: dict) -> list[Row]:
    """4. POST an external task and POST an action: >= 5x DRF's POST."""
    rows = []
    for name in (POST_EXTERNAL, POST_ACTION):
        if name not in results['http']:
            rows.append(_missing(f'4. {name}', f"['http']['{name}']"))
            continue
        label = f'4. {name} >= 5x DRF POST'
        rows.append(_versus_peer(results, name, label, POST_EXTERNAL))
    return rows


def in_process(results: dict) -> list[Row]:
    """5. In process: GET a running task <= 250 us, a page of 25 <= 1 ms."""
    costs = results.get('in_process', {})
    rows = []
    for key, label, limit in (
        ('running_task_us', '5. running task in process <= 250 us', 250),
        ('page_us', '5. page of 25 in process <= 1 ms', 1000),
    ):
        if key in costs:
            rows.append((label, costs[key] <= limit, f'{costs[key]:.0f} us'))
        else:
            rows.append(_missing(label, f"['in_process']['{key}']"))
    return rows


def end_to_end(results: dict) -> Row:
    """6. SLEEP(0) on SQLite through 2 in-process workers >= 800 tasks/s."""
    label = '6. SLEEP(0) SQLite, 2 workers >= 800/s'
    e2e = results.get('tasks', {}).get('end_to_end_sqlite')
    if not e2e:
        return _missing(label, "['tasks']['end_to_end_sqlite']")
    rate = e2e['tasks_per_s']
    return (label, rate >= 800, f'{rate:.0f}/s')


def pg_workers(results: dict) -> list[Row]:
    """7. PostgreSQL: >= 500 tasks/s with 2 processes, >= 1.7x from 1 to 2."""
    rates = results.get('pg_workers', {})
    if '1' not in rates or '2' not in rates:
        return [_missing('7. PostgreSQL workers', "['pg_workers']['1'] and ['2']")]
    one, two = rates['1'], rates['2']
    return [
        ('7. PostgreSQL, 2 processes >= 500/s', two >= 500, f'{two:.0f}/s'),
        (
            '7. PostgreSQL, 1 -> 2 processes >= 1.7x',
            two >= 1.7 * one,
            f'{two / one:.2f}x',
        ),
    ]


def whole_box(results: dict) -> Row:
    """8. GET a running task, several processes >= 1.8x one waitress process."""
    label = '8. running task, N processes >= 1.8x one'
    box = results.get('whole_box', {})
    if 'running_task_rps' not in box or 'one_process_rps' not in box:
        return _missing(label, "['whole_box']")
    ratio = box['running_task_rps'] / box['one_process_rps']
    processes = box.get('processes', '?')
    return (label, ratio >= 1.8, f'{ratio:.2f}x ({processes} processes)')


def memory(results: dict) -> list[Row]:
    """9. RSS <= 120 MB per process after 100k requests; flat over the soak."""
    memory = results.get('memory', {})
    if 'peak_mb' not in memory:
        return [_missing('9. RSS', "['memory']")]
    rows: list[Row] = [
        (
            '9. peak RSS <= 120 MB after 100k requests',
            memory['peak_mb'] <= 120,
            f'{memory["peak_mb"]:.0f} MiB',
        )
    ]
    soak = memory.get('soak_mb')
    if soak:
        growth = (soak[-1] - soak[0]) / soak[0]
        rows.append(
            ('9. soak flat (growth <= 5%)', growth <= 0.05, f'{100 * growth:+.1f}%')
        )
    else:
        rows.append(_missing('9. soak flat', "['memory']['soak_mb'] (--soak)"))
    return rows
