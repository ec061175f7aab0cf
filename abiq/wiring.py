"""The top of the house: the task engine assembled from its parts.

The engine (:mod:`abiq.tasks`) knows neither the database, nor the other
processes, nor the domain. Here it gets the SQL store, the PostgreSQL
notifier and the hypervisor driver (chosen from the configuration, and
given its table when it is the simulator), and every task type this process
can run: the diagnostic ``SLEEP`` and the domain's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abiq.db.domain import SimMachine
from abiq.domain.jobs import domain_task_types
from abiq.drivers.base import Driver
from abiq.drivers.sim import SimDriver
from abiq.drivers.sim import parse_faults
from abiq.pgnotify import notify_all
from abiq.tasks.diagnostics import SLEEP
from abiq.tasks.engine import Engine
from abiq.tasks.registry import TaskType
from abiq.tasks.sqlstore import SqlStore

if TYPE_CHECKING:
    from abiq.config import Config

__all__ = ['build_driver', 'build_engine', 'sql_engine']


def build_driver(config: Config) -> Driver:
    """Return the configured driver (``ABIQ_DRIVER``; the simulator by default)."""
    if config.driver == 'libvirt':
        from abiq.drivers.libvirt import LibvirtDriver

        return LibvirtDriver(config.libvirt_uri)
    return SimDriver(SimMachine, config.sim_latency, parse_faults(config.sim_faults))


def sql_engine(
    retention: int,
    lease_seconds: float,
    max_attempts: int,
    driver: Driver | None = None,
    types: tuple[TaskType, ...] = (),
) -> Engine:
    """Return an engine over the shared database that runs ``types``."""
    return Engine(
        SqlStore(),
        notify_all,
        driver,
        retention=retention,
        lease_seconds=lease_seconds,
        max_attempts=max_attempts,
        types=types,
    )


def build_engine(config: Config, driver: Driver | None = None) -> Engine:
    """Return an engine with every task type registered.

    Args:
        config: the settings.
        driver: the hypervisor (default: the one the configuration names).
    """
    driver = driver or build_driver(config)
    return sql_engine(
        config.task_retention,
        config.task_lease,
        config.task_max_attempts,
        driver,
        (SLEEP, *domain_task_types(driver)),
    )
