"""The simulated hypervisor (a SIMULATOR: no machine is ever created).

Its machines are rows in the database (the table :mod:`abiq.wiring` gives
it: :class:`abiq.db.domain.SimMachine`), so every API and worker process of
a deployment sees the same ones. ``ABIQ_SIM_LATENCY`` makes each job take that
long; ``ABIQ_SIM_FAULTS`` makes chosen jobs fail, deterministically, for
machines whose name matches a glob: ``POWER_ON:fail-*;CONFIGURE:bad-*``.
"""

from __future__ import annotations

import fnmatch
import time

import peewee

from abiq.drivers.base import Driver
from abiq.drivers.base import DriverError
from abiq.drivers.base import MachineSpec
from abiq.drivers.base import MachineState

__all__ = ['SimDriver', 'parse_faults']


def parse_faults(raw: str) -> tuple[tuple[str, str], ...]:
    """Parse ``JOB:GLOB;JOB:GLOB`` into (job type, glob) pairs.

    Raises:
        ValueError: an entry is not ``JOB:GLOB``.
    """
    faults = []
    for entry in raw.split(';'):
        entry = entry.strip()
        if not entry:
            continue
        job, sep, glob = entry.partition(':')
        if not sep or not job.strip() or not glob.strip():
            raise ValueError(f'ABIQ_SIM_FAULTS: {entry!r} is not JOB:GLOB')
        faults.append((job.strip().upper(), glob.strip()))
    return tuple(faults)


class SimDriver(Driver):
    """A hypervisor simulator whose state lives in the database.

    Args:
        machines: the table of simulated machines (name, cpu, ram, disk,
            running).
        latency: seconds each job takes.
        faults: (job type, machine-name glob) pairs that fail.
    """

    label = 'sim (SIMULATOR: no real machines are created)'

    def __init__(
        self,
        machines: type[peewee.Model],
        latency: float = 0.5,
        faults: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.machines = machines
        self.latency = latency
        self.faults = faults

    def fault(self, job_type: str, machine: str) -> str | None:
        """Return the injected failure for this job on this machine, if any."""
        for job, glob in self.faults:
            if job == job_type and fnmatch.fnmatchcase(machine, glob):
                return f'Simulated fault: {job_type} fails for {machine} ({glob})'
        return None

    def before_job(self, job_type: str, machine: str) -> None:
        """Fail the job when a fault is injected for it, else take the
        simulated latency."""
        fault = self.fault(job_type, machine)
        if fault:
            raise DriverError(fault)
        if self.latency:
            time.sleep(self.latency)

    def state(self, name: str) -> MachineState | None:
        """Return a simulated machine's state."""
        row = self.machines.get_or_none(self.machines.name == name)
        if row is None:
            return None
        return MachineState(row.name, row.cpu, row.ram, row.running)

    def define(self, spec: MachineSpec) -> None:
        """Define a machine unless it exists."""
        try:
            self.machines.insert(
                name=spec.name, cpu=spec.cpu, ram=spec.ram, disk=spec.disk
            ).on_conflict_ignore().execute()
        except peewee.IntegrityError:  # NOTE: defined by a racing job: fine
            pass

    def undefine(self, name: str) -> None:
        """Remove a machine if it exists."""
        self.machines.delete().where(self.machines.name == name).execute()

    def start(self, name: str) -> None:
        """Power a machine on."""
        self._set_running(name, True)

    def stop(self, name: str) -> None:
        """Power a machine off."""
        self._set_running(name, False)

    def reset(self, name: str) -> None:
        """Reset a running machine."""
        state = self.state(name)
        if state is None or not state.running:
            raise DriverError(f'Cannot reset {name}: it is not running')

    def set_resources(self, name: str, cpu: int, ram: int) -> None:
        """Set a machine's CPUs and memory."""
        self._require(name)
        self.machines.update(cpu=cpu, ram=ram).where(
            self.machines.name == name
        ).execute()

    def _set_running(self, name: str, running: bool) -> None:
        self._require(name)
        self.machines.update(running=running).where(
            self.machines.name == name
        ).execute()

    def _require(self, name: str) -> None:
        if not self.machines.select().where(self.machines.name == name).exists():
            raise DriverError(f'Machine {name} is not defined')
