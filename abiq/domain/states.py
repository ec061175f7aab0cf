"""Which states allow each domain operation: the ``VM_ACTIONS`` table.

The links of a machine or an appliance (:mod:`abiq.representations.domain`)
and the locks that enforce them (:mod:`abiq.domain.locks`) read the same
table, so an action is offered exactly when it would be accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abiq.db.domain import VirtualAppliance
    from abiq.db.domain import VirtualMachine

__all__ = [
    'DELETE_JOBS',
    'VAPP_ACTIONS',
    'VM_ACTIONS',
    'Action',
    'allowed_vapp_actions',
    'allowed_vm_actions',
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
DELETE_JOBS = ('POWER_OFF', 'DEALLOCATE', 'REMOVE')


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
