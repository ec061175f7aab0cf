"""The bench report reads issue 16's targets off a results dict: ratios to
the floor and to the DRF peer, and which figures this run lacks."""

from __future__ import annotations

import pytest

from bench.issue16 import issue16_targets
from bench.report import rows_of
from bench.report import table
from bench.scenarios import PEER_SCENARIOS


def _figures(rps: float, p99: float = 5.0, errors: int = 0) -> dict:
    return {
        'requests': int(rps * 5),
        'rps': rps,
        'p50_ms': 1.0,
        'p99_ms': p99,
        'errors': errors,
        'tool': 'wrk',
    }


def _results() -> dict:
    http = {
        'floor: fixed': _figures(2000),
        'GET task json': _figures(1500),
        'GET running task json': _figures(1100, p99=31),
        'GET first page 100k': _figures(400),
        'GET last page 100k': _figures(250),
        'GET first page 1M': _figures(400),
        'GET last page 1M': _figures(100),
        'GET first page xml 100k': _figures(330),
        'POST action': _figures(600),
        'POST external task': _figures(400),
    }
    peer = {name: _figures(100) for name in PEER_SCENARIOS}
    return {
        'http': http,
        'peer': peer,
        'tasks': {'end_to_end_sqlite': {'tasks_per_s': 900.0}},
        'memory': {'requests': 100_000, 'rss_mb': 80.0, 'peak_mb': 90.0},
    }


def _rows(results: dict) -> dict[str, tuple[bool | None, str]]:
    return {name: (met, figure) for name, met, figure in issue16_targets(results)}


def test_the_ratios_to_the_floor_and_to_drf_are_read_off_the_run() -> None:
    rows = _rows(_results())
    assert rows['1. the DRF peer in the same run'] == (True, 'every scenario')
    assert rows['2. GET running task >= 0.5x floor'] == (True, '0.55x')
    assert rows['2. GET running task p99 <= 30 ms'] == (False, '31.0 ms')
    assert rows['3. first page 100k >= 5x DRF'] == (False, '4.00x')
    assert rows['3. last page 1M >= 0.15x floor'] == (False, '0.05x')
    assert rows['3. first page 1M >= 0.15x floor'] == (True, '0.20x')
    assert rows['3. XML page within 20% of JSON (100k)'][0] is True
    # NOTE: both POSTs are compared with the peer's one POST, an external task.
    assert rows['4. POST action >= 5x DRF POST'] == (True, '6.00x')
    assert rows['4. POST external task >= 5x DRF POST'] == (False, '4.00x')
    assert rows['6. SLEEP(0) SQLite, 2 workers >= 800/s'] == (True, '900/s')
    assert rows['9. peak RSS <= 120 MB after 100k requests'] == (True, '90 MiB')


def test_figures_other_benches_add_are_named_until_they_are_there() -> None:
    results = _results()
    rows = _rows(results)
    assert rows['5. running task in process <= 250 us'] == (
        None,
        "not measured (results['in_process']['running_task_us'])",
    )
    assert rows['8. running task, N processes >= 1.8x one'][0] is None
    results['in_process'] = {'running_task_us': 240.0, 'page_us': 1100.0}
    results['pg_workers'] = {'1': 300.0, '2': 520.0}
    results['whole_box'] = {
        'processes': 2,
        'running_task_rps': 1900.0,
        'one_process_rps': 1000.0,
    }
    rows = _rows(results)
    assert rows['5. running task in process <= 250 us'] == (True, '240 us')
    assert rows['5. page of 25 in process <= 1 ms'] == (False, '1100 us')
    assert rows['7. PostgreSQL, 2 processes >= 500/s'] == (True, '520/s')
    assert rows['7. PostgreSQL, 1 -> 2 processes >= 1.7x'] == (True, '1.73x')
    assert rows['8. running task, N processes >= 1.8x one'] == (
        True,
        '1.90x (2 processes)',
    )


def test_a_peer_scenario_with_errors_misses_target_one() -> None:
    results = _results()
    results['peer']['GET last page 1M'] = _figures(1, errors=3)
    del results['peer']['POST external task']
    rows = _rows(results)
    assert rows['1. the DRF peer in the same run'] == (
        False,
        'failed or missing: GET last page 1M, POST external task',
    )
    assert rows['4. POST action >= 5x DRF POST'][0] is None


def test_the_table_sets_drf_beside_the_floor(capsys: pytest.CaptureFixture) -> None:
    results = _results()
    table(results['http'], 2000, results['peer'])
    rows = {
        line[:28].strip(): line[28:].split()
        for line in capsys.readouterr().out.splitlines()[2:]
    }
    # NOTE: req/s, p50, p99, errors, x floor, DRF req/s, x DRF
    assert rows['GET first page 100k'] == [
        '400',
        '1.00',
        '5.00',
        '0',
        '0.20',
        '100',
        '4.00',
    ]
    # NOTE: the peer has no action to POST: its columns stay empty.
    assert rows['POST action'] == ['600', '1.00', '5.00', '0', '0.30']


def test_a_row_without_a_figure_is_printed_as_not_measured() -> None:
    assert rows_of([('5. x', None, 'not measured')]) == [
        f'---- {"5. x":45} not measured'
    ]
