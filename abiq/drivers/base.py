"""The hypervisor driver interface every job talks to.

Every method is idempotent: it looks at the hypervisor and does only what is
missing (defining a machine that exists, or stopping one that is off, does
nothing), so a job that runs twice never duplicates a machine.
"""

from __future__ import annotations

from abc import ABC
from abc import abstractmethod
from dataclasses import dataclass

__all__ = ['Driver', 'DriverError', 'MachineSpec', 'MachineState']


class DriverError(Exception):
    """The hypervisor refused or failed an operation."""


@dataclass(frozen=True)
class MachineSpec:
    """What to define: built from a template and a virtual machine."""

    name: str
    cpu: int
    ram: int  # MiB
    disk: int  # GiB
    os: str = 'linux'
    hostname: str = ''


@dataclass(frozen=True)
class MachineState:
    """What the hypervisor reports about a defined machine."""

    name: str
    cpu: int
    ram: int  # MiB
    running: bool


class Driver(ABC):
    """A hypervisor. Machine names are unique per hypervisor."""

    #: shown in ``abiq serve``'s banner and the docs
    label: str = 'driver'

    @abstractmethod
    def state(self, name: str) -> MachineState | None:
        """Return a machine's state, or None when it is not defined."""

    @abstractmethod
    def define(self, spec: MachineSpec) -> None:
        """Define a machine unless one with that name exists."""

    @abstractmethod
    def undefine(self, name: str) -> None:
        """Remove a machine (stopping it first) unless it is gone already."""

    @abstractmethod
    def start(self, name: str) -> None:
        """Power a defined machine on unless it is running."""

    @abstractmethod
    def stop(self, name: str) -> None:
        """Power a machine off unless it is off."""

    @abstractmethod
    def reset(self, name: str) -> None:
        """Hard-reset a running machine."""

    @abstractmethod
    def set_resources(self, name: str, cpu: int, ram: int) -> None:
        """Set a machine's virtual CPUs and memory (MiB)."""

    def before_job(self, job_type: str, machine: str) -> None:  # noqa: B027
        """Get ready for a job on a machine (nothing to do by default).

        Raises:
            DriverError: the job must fail (the simulator injects its faults
                and its latency here).
        """
