"""Starting domain operations: state rules, locks, and the jobs they plan.

A task takes its locks (the machine, or the appliance and all its machines)
in the same transaction that creates it, with conditional updates: of two
racing requests exactly one gets the lock, the other a 409 ``VM-2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from abiq.db.domain import VirtualAppliance
from abiq.db.domain import VirtualMachine
from abiq.errors import conflict
from abiq.tasks.registry import JobSpec

if TYPE_CHECKING:
    from abiq.auth import Caller
    from abiq.db.models import Task
    from abiq.tasks.engine import Engine

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


@dataclass(frozen=True)
class Action:
    """An operation: its task type, the states that allow it, its jobs."""

    task_type: str
    allowed: frozenset[str]
    jobs: tuple[str, ...]
    during: str | None = None  # appliance state while it runs
    after: dict[str, str] | None = None  # final task status -> appliance state


VM_ACTIONS = {
    'deploy': Action(
        'DEPLOY', frozenset({'NOT_ALLOCATED'}), ('ALLOCATE', 'CONFIGURE', 'POWER_ON')
    ),
    'undeploy': Action(
        'UNDEPLOY', frozenset({'ALLOCATED', 'ON', 'OFF'}), ('POWER_OFF', 'DEALLOCATE')
    ),
    'poweron': Action('POWER_ON', frozenset({'ALLOCATED', 'OFF'}), ('POWER_ON',)),
    'poweroff': Action('POWER_OFF', frozenset({'ON'}), ('POWER_OFF',)),
    'reset': Action('RESET', frozenset({'ON'}), ('RESET',)),
}
_SETTLED = {'failed': 'NEEDS_SYNC', 'cancelled': 'NEEDS_SYNC'}
VAPP_ACTIONS = {
    'deploy': Action(
        'DEPLOY',
        frozenset({'NOT_DEPLOYED', 'NEEDS_SYNC'}),
        VM_ACTIONS['deploy'].jobs,
        'DEPLOYING',
        {'finished': 'DEPLOYED', **_SETTLED},
    ),
    'undeploy': Action(
        'UNDEPLOY',
        frozenset({'DEPLOYED', 'NEEDS_SYNC'}),
        VM_ACTIONS['undeploy'].jobs,
        'UNDEPLOYING',
        {'finished': 'NOT_DEPLOYED', **_SETTLED},
    ),
}
_DELETE_JOBS = ('POWER_OFF', 'DEALLOCATE', 'REMOVE')


def allowed_vm_actions(vm: VirtualMachine) -> list[str]:
    """Return the action rels allowed on a machine now (none while locked)."""
    if vm.lock_task:
        return []
    return [rel for rel, action in VM_ACTIONS.items() if vm.state in action.allowed]


def allowed_vapp_actions(vapp: VirtualAppliance) -> list[str]:
    """Return the action rels allowed on an appliance now."""
    if vapp.lock_task:
        return []
    return [rel for rel, action in VAPP_ACTIONS.items() if vapp.state in action.allowed]


def _lock_vm(
    task_id: str, vm_id: int, allowed: frozenset[str] | None
) -> VirtualMachine:
    taken = (
        VirtualMachine.update(lock_task=task_id)
        .where((VirtualMachine.id == vm_id) & VirtualMachine.lock_task.is_null())
        .execute()
    )
    vm = VirtualMachine.get_by_id(vm_id)
    if not taken:
        raise conflict(
            'VM-2',
            f'Virtual machine {vm.name} is locked by another '
            'operation; wait for its task to end',
        )
    if allowed is not None and vm.state not in allowed:
        raise conflict(
            'VM-3',
            f'Virtual machine {vm.name} is {vm.state}; this action is not allowed now',
        )
    return vm


def _lock_vapp(
    task_id: str, vapp_id: int, action: Action | None
) -> list[VirtualMachine]:
    taken = (
        VirtualAppliance.update(lock_task=task_id)
        .where((VirtualAppliance.id == vapp_id) & VirtualAppliance.lock_task.is_null())
        .execute()
    )
    vapp = VirtualAppliance.get_by_id(vapp_id)
    if not taken:
        raise conflict(
            'VM-2',
            f'Virtual appliance {vapp.name} is locked by another '
            'operation; wait for its task to end',
        )
    if action is not None and vapp.state not in action.allowed:
        raise conflict(
            'VM-3',
            f'Virtual appliance {vapp.name} is {vapp.state}; '
            'this action is not allowed now',
        )
    machines = list(vapp.machines.order_by(VirtualMachine.id))
    if action is not None and not machines:
        raise conflict(
            'VM-3', f'Virtual appliance {vapp.name} has no virtual machines to act on'
        )
    for vm in machines:
        _lock_vm(task_id, vm.id, None)
    if action is not None and action.during:
        VirtualAppliance.update(state=action.during).where(
            VirtualAppliance.id == vapp_id
        ).execute()
    return machines


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
        return _jobs([_lock_vm(task_id, vm.id, action.allowed)], action.jobs)

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
        return _jobs(_lock_vapp(task_id, vapp.id, action), action.jobs)

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
        locked = _lock_vm(task_id, vm.id, frozenset({'ALLOCATED', 'ON', 'OFF'}))
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
            raise conflict(
                'VM-2',
                f'Virtual machine {vm.name} is locked by another '
                'operation; wait for its task to end',
            )
        return None

    def plan(task_id: str) -> list[JobSpec]:
        return _jobs([_lock_vm(task_id, vm.id, None)], _DELETE_JOBS)

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
            raise conflict(
                'VM-2',
                f'Virtual appliance {vapp.name} is locked by '
                'another operation; wait for its task to end',
            )
        VirtualMachine.delete().where(
            VirtualMachine.virtualappliance == vapp.id
        ).execute()
        vapp.delete_instance()
        return None

    def plan(task_id: str) -> list[JobSpec]:
        jobs = _jobs(_lock_vapp(task_id, vapp.id, None), _DELETE_JOBS)
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
