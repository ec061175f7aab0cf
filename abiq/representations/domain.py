"""Documents of templates, virtual appliances and virtual machines.

Version 1 and version 2 share these shapes. Action links (deploy, poweron,
...) appear exactly when the action is allowed now for this caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import orjson

from abiq.domain.actions import allowed_vapp_actions
from abiq.domain.actions import allowed_vm_actions

if TYPE_CHECKING:
    from abiq.auth import Caller
    from abiq.db.domain import Template
    from abiq.db.domain import VirtualAppliance
    from abiq.db.domain import VirtualMachine
    from abiq.links import Urls

__all__ = ['render_template', 'render_vapp', 'render_vm']


def render_template(
    template: Template, urls: Urls, caller: Caller, version: int
) -> dict[str, Any]:
    """Return a template document."""
    href = urls.of('template', template.id)
    links = [urls.link('self', href, 'template', template.name)]
    if caller.is_admin:
        links.append(urls.link('edit', href, 'template', template.name))
    links.append(urls.link('parent', urls.of('template'), 'templates'))
    return {
        'links': links,
        'id': template.id,
        'name': template.name,
        'description': template.description,
        'os': template.os,
        'cpu': template.cpu,
        'ram': template.ram,
        'disk': template.disk,
    }


def render_vapp(
    vapp: VirtualAppliance, urls: Urls, caller: Caller, version: int
) -> dict[str, Any]:
    """Return a virtual appliance document."""
    href = urls.of('virtualappliance', vapp.id)
    enterprise = urls.of('enterprise', vapp.enterprise_id)
    links = [urls.link('self', href, 'virtualappliance', vapp.name)]
    if caller.can_write:
        links.append(urls.link('edit', href, 'virtualappliance', vapp.name))
    links += [
        urls.link('parent', f'{enterprise}/virtualappliances', 'virtualappliances'),
        urls.link('enterprise', enterprise, 'enterprise'),
        urls.link('virtualmachines', href + '/virtualmachines', 'virtualmachines'),
        urls.link('tasks', href + '/tasks', 'tasks'),
    ]
    if caller.can_write:
        links += [
            urls.link(rel, f'{href}/{rel}', 'task')
            for rel in allowed_vapp_actions(vapp)
        ]
    return {'links': links, 'id': vapp.id, 'name': vapp.name, 'state': vapp.state}


def render_vm(
    vm: VirtualMachine, urls: Urls, caller: Caller, version: int
) -> dict[str, Any]:
    """Return a virtual machine document (``LOCKED`` while a task holds it)."""
    href = urls.of('virtualmachine', vm.id)
    vapp_href = urls.of('virtualappliance', vm.virtualappliance_id)
    links = [urls.link('self', href, 'virtualmachine', vm.name)]
    if caller.can_write and not vm.lock_task:
        links.append(urls.link('edit', href, 'virtualmachine', vm.name))
    links += [
        urls.link('parent', vapp_href + '/virtualmachines', 'virtualmachines'),
        urls.link('virtualappliance', vapp_href, 'virtualappliance'),
        urls.link('template', urls.of('template', vm.template_id), 'template'),
        urls.link('tasks', href + '/tasks', 'tasks'),
    ]
    if caller.can_write:
        links += [
            urls.link(rel, f'{href}/{rel}', 'task') for rel in allowed_vm_actions(vm)
        ]
    return {
        'links': links,
        'id': vm.id,
        'name': vm.name,
        'hostname': vm.hostname,
        'cpu': vm.cpu,
        'ram': vm.ram,
        'disk': vm.disk,
        'ip': vm.ip,
        'nameservers': orjson.loads(vm.nameservers),
        'state': 'LOCKED' if vm.lock_task else vm.state,
    }
