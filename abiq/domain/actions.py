"""Starting domain operations: the task of each, and the jobs it plans.

A task takes its locks (the machine, or the appliance and all its machines,
:mod:`abiq.domain.locks`) in the same transaction that creates it; which
states allow which action is the table of :mod:`abiq.domain.states`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from abiq.db.domain import VirtualAppliance
from abiq.db.domain import VirtualMachine
from abiq.domain.locks import lock_vapp
from abiq.domain.locks import lock_vm
from abiq.domain.states import DELETE_JOBS
from abiq.domain.states import VAPP_ACTIONS
from abiq.domain.states import VM_ACTIONS
from abiq.domain.states import allowed_vapp_actions
from abiq.domain.states import allowed_vm_actions
from abiq.exceptions import Locked
from abiq.tasks.registry import JobSpec

if TYPE_CHECKING:
    from abiq.db.models import Task
    from abiq.tasks.engine import Engine
    from abiq.tasks.rules import Actor as Caller

__all__ = [
    'VAPP_ACTIONS',
    'VM_ACTIONS',
    'allowed_vapp_actions',
    'allowed_vm_actions',
    'delete_vapp',
    'delete_vm',
    'reconfigure_vm',
    'start_vapp_action',
    'start_vm_action',
]


def _jobs(machines: list[VirtualMachine], job_types: tuple[str, ...]) -> list[JobSpec]:
    return [
        JobSpec(job, f'{job} {vm.name}', {'vm': vm.id})
        for vm in machines
        for job in job_types
    ]


def _submit(
    engine: Engine,
    caller: Caller,
    enterprise_id: int,
    type_name: str,
    target: tuple[str, str],
    params: dict[str, Any],
    plan,
) -> Task:
    """Submit a task whose jobs are planned while its locks are taken."""
    planned: list[JobSpec] = []

    def lock(task_id: str) -> None:
        planned.extend(plan(task_id))

    # NOTE: the jobs depend on what the locks find (the appliance's machines
    # at that moment), so they are planned inside the locking transaction.
    return engine.submit(
        type_name,
        enterprise_id=enterprise_id,
        user_id=caller.user.id,
        jobs=planned,
        params=params,
        target=target,
        before_commit=lock,
    )


def start_vm_action(
    engine: Engine, caller: Caller, vm: VirtualMachine, rel: str
) -> Task:
    """Start an action on a machine (202 material)."""
    action = VM_ACTIONS[rel]

    def plan(task_id: str) -> list[JobSpec]:
        return _jobs([lock_vm(task_id, vm.id, action.allowed)], action.jobs)

    return _submit(
        engine,
        caller,
        vm.virtualappliance.enterprise_id,
        action.task_type,
        ('virtualmachine', str(vm.id)),
        {'vm': vm.id},
        plan,
    )


def start_vapp_action(
    engine: Engine, caller: Caller, vapp: VirtualAppliance, rel: str
) -> Task:
    """Start deploy or undeploy of a whole appliance: one task, every machine."""
    action = VAPP_ACTIONS[rel]

    def plan(task_id: str) -> list[JobSpec]:
        return _jobs(lock_vapp(task_id, vapp.id, action), action.jobs)

    params = {'vapp': vapp.id, 'vapp_states': action.after}
    return _submit(
        engine,
        caller,
        vapp.enterprise_id,
        action.task_type,
        ('virtualappliance', str(vapp.id)),
        params,
        plan,
    )


def reconfigure_vm(
    engine: Engine, caller: Caller, vm: VirtualMachine, changes: dict[str, Any]
) -> Task:
    """Change CPUs, memory or host name of a deployed machine."""

    def plan(task_id: str) -> list[JobSpec]:
        locked = lock_vm(task_id, vm.id, frozenset({'ALLOCATED', 'ON', 'OFF'}))
        return [JobSpec('RECONFIGURE', f'RECONFIGURE {locked.name}', {'vm': vm.id})]

    return _submit(
        engine,
        caller,
        vm.virtualappliance.enterprise_id,
        'RECONFIGURE',
        ('virtualmachine', str(vm.id)),
        {'vm': vm.id, 'changes': changes},
        plan,
    )


def delete_vm(engine: Engine, caller: Caller, vm: VirtualMachine) -> Task | None:
    """Delete a machine: at once when undeployed (None), else by a task."""
    if vm.state == 'NOT_ALLOCATED':
        deleted = (
            VirtualMachine.delete()
            .where((VirtualMachine.id == vm.id) & VirtualMachine.lock_task.is_null())
            .execute()
        )
        if not deleted:
            raise Locked.held(f'Virtual machine {vm.name}')
        return None

    def plan(task_id: str) -> list[JobSpec]:
        return _jobs([lock_vm(task_id, vm.id, None)], DELETE_JOBS)

    return _submit(
        engine,
        caller,
        vm.virtualappliance.enterprise_id,
        'DELETE',
        ('virtualmachine', str(vm.id)),
        {'vm': vm.id, 'deletes': True},
        plan,
    )


def delete_vapp(engine: Engine, caller: Caller, vapp: VirtualAppliance) -> Task | None:
    """Delete an appliance: at once when nothing is deployed, else by a task."""
    machines = list(vapp.machines)
    if all(vm.state == 'NOT_ALLOCATED' for vm in machines):
        if vapp.lock_task or any(vm.lock_task for vm in machines):
            raise Locked.held(f'Virtual appliance {vapp.name}')
        VirtualMachine.delete().where(
            VirtualMachine.virtualappliance == vapp.id
        ).execute()
        vapp.delete_instance()
        return None

    def plan(task_id: str) -> list[JobSpec]:
        jobs = _jobs(lock_vapp(task_id, vapp.id, None), DELETE_JOBS)
        return jobs + [
            JobSpec('REMOVE_VAPP', f'REMOVE_VAPP {vapp.name}', {'vapp': vapp.id})
        ]

    return _submit(
        engine,
        caller,
        vapp.enterprise_id,
        'DELETE',
        ('virtualappliance', str(vapp.id)),
        {'vapp': vapp.id, 'deletes': True},
        plan,
    )
