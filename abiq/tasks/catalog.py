"""The task types a process can run, assembled into an engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from abiq.tasks.diagnostics import SLEEP
from abiq.tasks.engine import Engine

if TYPE_CHECKING:
    from abiq.config import Config

__all__ = ['build_engine']


def build_engine(config: Config) -> Engine:
    """Return an engine with every task type registered."""
    engine = Engine(config.task_retention, config.task_lease, config.task_max_attempts)
    engine.register(SLEEP)
    return engine
