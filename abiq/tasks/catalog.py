"""The task types a process can run, assembled into an engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from abiq.domain.jobs import domain_task_types
from abiq.drivers.base import Driver
from abiq.drivers.factory import build_driver
from abiq.tasks.diagnostics import SLEEP
from abiq.tasks.engine import Engine

if TYPE_CHECKING:
    from abiq.config import Config

__all__ = ['build_engine']


def build_engine(config: Config, driver: Driver | None = None) -> Engine:
    """Return an engine with every task type registered.

    Args:
        config: the settings.
        driver: the hypervisor (default: the one the configuration names).
    """
    engine = Engine(config.task_retention, config.task_lease, config.task_max_attempts)
    engine.driver = driver or build_driver(config)
    engine.register(SLEEP)
    for task_type in domain_task_types(engine.driver):
        engine.register(task_type)
    return engine
