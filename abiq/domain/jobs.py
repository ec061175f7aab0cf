"""The jobs of domain tasks, each idempotent against the hypervisor.

Every job reads what the hypervisor has and does only what is missing, then
records the machine's new state, so running a job twice (a retry, or a worker
that died mid-job) never defines a machine twice.
"""

from __future__ import annotations

from typing import Any

from abiq.db.domain import VirtualAppliance
from abiq.db.domain import VirtualMachine
from abiq.drivers.base import Driver
from abiq.drivers.base import DriverError
from abiq.drivers.base import MachineSpec
from abiq.tasks.registry import JobContext
from abiq.tasks.registry import JobError
from abiq.tasks.registry import TaskType

__all__ = ['TASK_TYPES', 'domain_task_types', 'on_end', 'result_of']

TASK_TYPES = (
    'DEPLOY',
    'UNDEPLOY',
    'POWER_ON',
    'POWER_OFF',
    'RESET',
    'RECONFIGURE',
    'DELETE',
)


def _ip_for(vm_id: int) -> str:
    # NOTE: a deterministic address per machine, so a re-run job assigns the
    # same one (the simulator has no DHCP to ask).
    return f'10.{(vm_id >> 16) & 255}.{(vm_id >> 8) & 255}.{vm_id & 255}'


class DomainJobs:
    """Job functions bound to one driver.

    Args:
        driver: the hypervisor.
    """

    def __init__(self, driver: Driver) -> None:
        self.driver = driver

    def handlers(self) -> dict[str, Any]:
        """Return job type -> function."""
        return {
            'ALLOCATE': self.allocate,
            'CONFIGURE': self.configure,
            'POWER_ON': self.power_on,
            'POWER_OFF': self.power_off,
            'DEALLOCATE': self.deallocate,
            'RESET': self.reset,
            'RECONFIGURE': self.reconfigure,
            'REMOVE': self.remove,
            'REMOVE_VAPP': self.remove_vapp,
        }

    def _machine(self, context: JobContext, job_type: str) -> VirtualMachine | None:
        vm = VirtualMachine.get_or_none(VirtualMachine.id == context.params['vm'])
        if vm is None:
            return None  # removed by an earlier run of this job: nothing to do
        self._call(vm, job_type, self.driver.before_job, job_type, vm.name)
        return vm

    def _call(self, vm: VirtualMachine, job_type: str, operation, *args) -> None:
        try:
            operation(*args)
        except DriverError as ex:
            raise JobError(
                'VM-5', f'{job_type} failed for virtual machine {vm.name}: {ex}'
            ) from ex

    @staticmethod
    def _record(vm: VirtualMachine, **fields: Any) -> None:
        VirtualMachine.update(**fields).where(VirtualMachine.id == vm.id).execute()

    def allocate(self, context: JobContext) -> None:
        """Define the machine on the hypervisor."""
        vm = self._machine(context, 'ALLOCATE')
        if vm is None:
            return
        spec = MachineSpec(
            vm.machine_name, vm.cpu, vm.ram, vm.disk, vm.template.os, vm.hostname
        )
        if self.driver.state(spec.name) is None:
            self._call(vm, 'ALLOCATE', self.driver.define, spec)
        self._record(vm, state='ALLOCATED', ip=vm.ip or _ip_for(vm.id))

    def configure(self, context: JobContext) -> None:
        """Give the machine its CPUs and memory."""
        vm = self._machine(context, 'CONFIGURE')
        if vm is not None:
            self._call(
                vm,
                'CONFIGURE',
                self.driver.set_resources,
                vm.machine_name,
                vm.cpu,
                vm.ram,
            )

    def power_on(self, context: JobContext) -> None:
        """Start the machine."""
        vm = self._machine(context, 'POWER_ON')
        if vm is not None:
            self._call(vm, 'POWER_ON', self.driver.start, vm.machine_name)
            self._record(vm, state='ON')

    def power_off(self, context: JobContext) -> None:
        """Stop the machine."""
        vm = self._machine(context, 'POWER_OFF')
        if vm is not None:
            if self.driver.state(vm.machine_name) is not None:
                self._call(vm, 'POWER_OFF', self.driver.stop, vm.machine_name)
            self._record(vm, state='OFF' if vm.state != 'NOT_ALLOCATED' else vm.state)

    def deallocate(self, context: JobContext) -> None:
        """Remove the machine from the hypervisor."""
        vm = self._machine(context, 'DEALLOCATE')
        if vm is not None:
            self._call(vm, 'DEALLOCATE', self.driver.undefine, vm.machine_name)
            self._record(vm, state='NOT_ALLOCATED', ip=None)

    def reset(self, context: JobContext) -> None:
        """Hard-reset the machine."""
        vm = self._machine(context, 'RESET')
        if vm is not None:
            self._call(vm, 'RESET', self.driver.reset, vm.machine_name)

    def reconfigure(self, context: JobContext) -> None:
        """Apply new CPUs, memory and host name to a deployed machine."""
        vm = self._machine(context, 'RECONFIGURE')
        if vm is None:
            return
        changes = context.task_params['changes']
        cpu, ram = changes.get('cpu', vm.cpu), changes.get('ram', vm.ram)
        self._call(
            vm, 'RECONFIGURE', self.driver.set_resources, vm.machine_name, cpu, ram
        )
        self._record(vm, **changes)

    def remove(self, context: JobContext) -> None:
        """Delete the machine's record (after it left the hypervisor)."""
        vm = self._machine(context, 'REMOVE')
        if vm is not None:
            self._call(vm, 'REMOVE', self.driver.undefine, vm.machine_name)
            vm.delete_instance()

    def remove_vapp(self, context: JobContext) -> None:
        """Delete the appliance's record and any machine left in it."""
        vapp_id = context.params['vapp']
        VirtualMachine.delete().where(
            VirtualMachine.virtualappliance == vapp_id
        ).execute()
        VirtualAppliance.delete().where(VirtualAppliance.id == vapp_id).execute()


def result_of(params: dict[str, Any]) -> tuple[str, str] | None:
    """Return the entity a finished domain task leads to."""
    if params.get('deletes'):
        return None
    if 'vm' in params:
        return 'virtualmachine', str(params['vm'])
    return 'virtualappliance', str(params['vapp'])


def on_end(task_id: str, params: dict[str, Any], status: str) -> None:
    """Release the task's locks and settle the appliance's state."""
    VirtualMachine.update(lock_task=None).where(
        VirtualMachine.lock_task == task_id
    ).execute()
    VirtualAppliance.update(lock_task=None).where(
        VirtualAppliance.lock_task == task_id
    ).execute()
    state = params.get('vapp_states', {}).get(status)
    if state and 'vapp' in params:
        VirtualAppliance.update(state=state).where(
            VirtualAppliance.id == params['vapp']
        ).execute()


def domain_task_types(driver: Driver) -> list[TaskType]:
    """Return the domain's task types, running their jobs on a driver."""
    handlers = DomainJobs(driver).handlers()
    return [
        TaskType(name, handlers, result=result_of, on_end=on_end) for name in TASK_TYPES
    ]
