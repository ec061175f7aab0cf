"""The locks a domain task takes, in the transaction that creates it.

Each lock is a conditional update: of two racing requests exactly one gets
it, the other is refused with :class:`abiq.exceptions.Locked` (``VM-2``);
a state the action does not allow is refused with
:class:`abiq.exceptions.NotAllowedNow` (``VM-3``).
"""

from __future__ import annotations

from abiq.db.domain import VirtualAppliance
from abiq.db.domain import VirtualMachine
from abiq.domain.states import Action
from abiq.exceptions import Locked
from abiq.exceptions import NotAllowedNow

__all__ = ['lock_vapp', 'lock_vm']


def lock_vm(task_id: str, vm_id: int, allowed: frozenset[str] | None) -> VirtualMachine:
    """Lock a machine for a task; refuse when locked or (given ``allowed``)
    in another state."""
    taken = (
        VirtualMachine.update(lock_task=task_id)
        .where((VirtualMachine.id == vm_id) & VirtualMachine.lock_task.is_null())
        .execute()
    )
    vm = VirtualMachine.get_by_id(vm_id)
    if not taken:
        raise Locked.held(f'Virtual machine {vm.name}')
    if allowed is not None and vm.state not in allowed:
        raise NotAllowedNow.in_state(f'Virtual machine {vm.name}', vm.state)
    return vm


def lock_vapp(
    task_id: str, vapp_id: int, action: Action | None
) -> list[VirtualMachine]:
    """Lock an appliance and every machine of it for a task; return them."""
    taken = (
        VirtualAppliance.update(lock_task=task_id)
        .where((VirtualAppliance.id == vapp_id) & VirtualAppliance.lock_task.is_null())
        .execute()
    )
    vapp = VirtualAppliance.get_by_id(vapp_id)
    if not taken:
        raise Locked.held(f'Virtual appliance {vapp.name}')
    if action is not None and vapp.state not in action.allowed:
        raise NotAllowedNow.in_state(f'Virtual appliance {vapp.name}', vapp.state)
    machines = list(vapp.machines.order_by(VirtualMachine.id))
    if action is not None and not machines:
        raise NotAllowedNow(
            f'Virtual appliance {vapp.name} has no virtual machines to act on'
        )
    for vm in machines:
        lock_vm(task_id, vm.id, None)
    if action is not None and action.during:
        VirtualAppliance.update(state=action.during).where(
            VirtualAppliance.id == vapp_id
        ).execute()
    return machines
