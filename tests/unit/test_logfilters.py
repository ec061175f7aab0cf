"""A warning waitress would log per request is logged once per interval."""

from __future__ import annotations

import logging

from abiq.logfilters import QUEUE_LOGGER
from abiq.logfilters import AtMostEvery
from abiq.logfilters import quiet_queue_warnings


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord('w', logging.WARNING, __file__, 1, message, (), None)


def test_one_record_per_interval_says_how_many_were_left_out():
    clock = _Clock()
    gate = AtMostEvery(10, clock)
    assert gate.filter(_record('Task queue depth is 1'))
    assert not gate.filter(_record('Task queue depth is 2'))
    clock.now += 9.9
    assert not gate.filter(_record('Task queue depth is 3'))
    clock.now += 0.2
    later = _record('Task queue depth is 4')
    assert gate.filter(later)
    assert later.getMessage() == (
        'Task queue depth is 4 (and 2 more like it since the last)'
    )


def test_waitress_queue_warnings_get_one_gate(caplog, monkeypatch):
    logger = logging.getLogger(QUEUE_LOGGER)
    monkeypatch.setattr(logger, 'filters', [])  # as a new process starts
    quiet_queue_warnings()
    quiet_queue_warnings()
    assert sum(isinstance(f, AtMostEvery) for f in logger.filters) == 1
    with caplog.at_level(logging.WARNING, logger=QUEUE_LOGGER):
        for depth in range(50):
            logger.warning('Task queue depth is %d', depth)
    assert [r.getMessage() for r in caplog.records] == ['Task queue depth is 0']
