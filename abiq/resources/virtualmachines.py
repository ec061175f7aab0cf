"""Virtual machines: created in an appliance from a template, acted on by tasks."""

from __future__ import annotations

import re

import falcon
import orjson

from abiq.auth import Caller
from abiq.db.domain import VirtualMachine
from abiq.db.models import Task
from abiq.domain import actions
from abiq.errors import bad_request
from abiq.errors import conflict
from abiq.errors import not_found
from abiq.errors import quoted
from abiq.paging import CollectionSpec
from abiq.representations.domain import render_vm
from abiq.resources.base import Body
from abiq.resources.base import Resource
from abiq.resources.task_answers import ActionResource
from abiq.resources.task_answers import answer_started
from abiq.resources.virtualappliances import get_vapp
from abiq.targets import resolve

__all__ = ['Action', 'Collection', 'Item']

VMS = CollectionSpec(
    sort_fields={
        'name': VirtualMachine.name,
        'id': VirtualMachine.id,
        'state': VirtualMachine.state,
    },
    default_sort='id',
    text_fields=(VirtualMachine.name, VirtualMachine.hostname),
    tie_breaker=VirtualMachine.id,
)
# Fields a deployed machine changes through a RECONFIGURE task.
_LIVE = ('cpu', 'ram', 'hostname')


def get_vm(resource: Resource, req: falcon.Request, vm_id: int) -> VirtualMachine:
    """Return a machine the caller may see, else answer 404."""
    vm = VirtualMachine.get_or_none(VirtualMachine.id == vm_id)
    if vm is None or not resource.caller(req).sees_enterprise(
        vm.virtualappliance.enterprise_id
    ):
        raise not_found()
    return vm


def _hostname(name: str) -> str:
    return re.sub(r'[^a-z0-9-]+', '-', name.lower()).strip('-')[:63] or 'vm'


class Collection(Resource):
    """The machines of an appliance; POST creates one (nothing is deployed)."""

    answers = {'GET': 'virtualmachines', 'POST': 'virtualmachine'}
    reads = {'POST': Body('virtualmachine', ('name',))}
    statuses = {'POST': (201,)}
    paging = VMS

    def on_get(self, req: falcon.Request, resp: falcon.Response, vapp_id: int) -> None:
        """List the appliance's machines, paged."""
        vapp = get_vapp(self, req, vapp_id)
        urls, caller = self.urls(req), self.caller(req)
        page = self.page(req, vapp.machines)
        items = [render_vm(vm, urls, caller) for vm in page.items]

        def href_for(query):
            return urls.url(
                'virtualappliances', vapp.id, 'virtualmachines', query=query
            )

        extra = [
            urls.link(
                'virtualappliance',
                urls.url('virtualappliances', vapp.id),
                'virtualappliance',
            )
        ]
        if caller.can_write:
            extra.append(urls.link('create', href_for([]), 'virtualmachine'))
        self.send(req, resp, self.collection(req, page, items, href_for, extra))

    def on_post(self, req: falcon.Request, resp: falcon.Response, vapp_id: int) -> None:
        """Create a machine from the template its ``template`` link names: 201."""
        vapp = get_vapp(self, req, vapp_id)
        caller = self.require_writer(req)
        doc = self.read(req)
        template = self._template(req, doc)
        if vapp.machines.where(VirtualMachine.name == doc['name']).exists():
            raise conflict(
                'VM-1',
                f'Virtual appliance {vapp.name} already has a '
                f'machine named {doc["name"]!r}',
            )
        vm = VirtualMachine.create(
            virtualappliance=vapp.id,
            template=template.id,
            name=doc['name'],
            hostname=doc.get('hostname') or _hostname(doc['name']),
            cpu=doc.get('cpu', template.cpu),
            ram=doc.get('ram', template.ram),
            disk=doc.get('disk', template.disk),
            nameservers=orjson.dumps(doc.get('nameservers', [])).decode(),
        )
        urls = self.urls(req)
        self.send(req, resp, render_vm(vm, urls, caller))
        resp.status = falcon.HTTP_201
        resp.location = urls.url('virtualmachines', vm.id)

    def _template(self, req: falcon.Request, doc: dict):
        hrefs = [
            link['href'] for link in doc.get('links', []) if link['rel'] == 'template'
        ]
        if len(hrefs) != 1:
            raise bad_request(
                '400-BAD-REQUEST',
                '/links: a virtual machine needs exactly one link with rel "template"',
            )
        kind, template = resolve(self.urls(req), hrefs[0], 'template')
        if kind.kind != 'template':
            raise bad_request(
                '400-BAD-REQUEST',
                f'The template link {quoted(hrefs[0])!r} does not point at a template',
            )
        return template


class Item(Resource):
    """One machine: read, edit (reconfigure when deployed), delete."""

    answers = {
        'GET': 'virtualmachine',
        'PUT': 'virtualmachine',
        'DELETE': 'virtualmachine',
    }
    any_name = frozenset({'PUT', 'DELETE'})
    reads = {'PUT': Body('virtualmachine')}
    # NOTE: a PUT or DELETE that waited (Prefer) answers as its ended task would.
    statuses = {'PUT': (200, 202, 303), 'DELETE': (200, 202, 204)}
    request_headers = {'PUT': ('Prefer',), 'DELETE': ('Prefer',)}

    def on_get(self, req: falcon.Request, resp: falcon.Response, vm_id: int) -> None:
        """Answer the machine."""
        vm = get_vm(self, req, vm_id)
        self.send(req, resp, render_vm(vm, self.urls(req), self.caller(req)))

    def on_put(self, req: falcon.Request, resp: falcon.Response, vm_id: int) -> None:
        """Edit: 200 when undeployed; 202 and a RECONFIGURE task for CPUs,
        memory or host name of a deployed machine."""
        vm = get_vm(self, req, vm_id)
        caller = self.require_writer(req)
        self.check(req, vm_id=vm_id)
        doc = self.read(req)
        if vm.lock_task:
            raise conflict(
                'VM-2',
                f'Virtual machine {vm.name} is locked by another '
                'operation; wait for its task to end',
            )
        direct = {
            key: doc[key]
            for key in ('name', 'hostname', 'cpu', 'ram', 'disk')
            if key in doc and doc[key] != getattr(vm, key)
        }
        if 'nameservers' in doc:
            direct['nameservers'] = orjson.dumps(doc['nameservers']).decode()
        live = {}
        if vm.state != 'NOT_ALLOCATED':
            if 'disk' in direct:
                raise conflict(
                    'VM-3',
                    'The disk of a deployed virtual machine '
                    'cannot change; undeploy it first',
                )
            live = {key: direct.pop(key) for key in _LIVE if key in direct}
        if direct:
            VirtualMachine.update(**direct).where(VirtualMachine.id == vm.id).execute()
        if live:
            task = actions.reconfigure_vm(self.services.engine, caller, vm, live)
            answer_started(self, req, resp, task)
            return
        vm = VirtualMachine.get_by_id(vm.id)
        self.send(req, resp, render_vm(vm, self.urls(req), caller))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, vm_id: int) -> None:
        """Delete: 204 when undeployed, else 202 and a DELETE task."""
        vm = get_vm(self, req, vm_id)
        caller = self.require_writer(req)
        self.check(req, vm_id=vm_id)
        task = actions.delete_vm(self.services.engine, caller, vm)
        if task is None:
            self.no_content(resp)
            return
        answer_started(self, req, resp, task)


class Action(ActionResource):
    """A machine action: deploy, undeploy, poweron, poweroff or reset."""

    item = Item

    def entity(self, req: falcon.Request, vm_id: int) -> VirtualMachine:
        return get_vm(self, req, vm_id)

    def start(self, caller: Caller, vm: VirtualMachine) -> Task:
        return actions.start_vm_action(self.services.engine, caller, vm, self.rel)
