"""Choose the hypervisor driver from the configuration (``ABIQ_DRIVER``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from abiq.drivers.base import Driver
from abiq.drivers.sim import SimDriver
from abiq.drivers.sim import parse_faults

if TYPE_CHECKING:
    from abiq.config import Config

__all__ = ['build_driver']


def build_driver(config: Config) -> Driver:
    """Return the configured driver (the simulator by default)."""
    if config.driver == 'libvirt':
        from abiq.drivers.libvirt import LibvirtDriver

        return LibvirtDriver(config.libvirt_uri)
    return SimDriver(config.sim_latency, parse_faults(config.sim_faults))
