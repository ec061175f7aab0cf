"""Virtual machines: created in an appliance from a template, acted on by tasks."""

from __future__ import annotations

import re

import falcon
import orjson

from abiq.auth import Caller
from abiq.db.domain import VirtualMachine
from abiq.db.models import Task
from abiq.domain import actions
from abiq.entities import resolve
from abiq.errors import bad_request
from abiq.errors import conflict
from abiq.errors import quoted
from abiq.exceptions import Locked
from abiq.exceptions import NotAllowedNow
from abiq.paging import CollectionSpec
from abiq.resources.base import Body
from abiq.resources.base import Resource
from abiq.resources.task_answers import ActionResource
from abiq.resources.task_answers import TaskAnswers

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
        vapp = self.lookup(req, 'virtualappliance', vapp_id)
        urls = self.urls(req)

        def href_for(query):
            return urls.of('virtualappliance', vapp.id, 'virtualmachines', query=query)

        vapp_href = urls.of('virtualappliance', vapp.id)
        extra = [urls.link('virtualappliance', vapp_href, 'virtualappliance')]
        if self.caller(req).can_write:
            extra.append(urls.link('create', href_for([]), 'virtualmachine'))
        self.list_page(req, resp, 'virtualmachine', vapp.machines, href_for, extra)

    def on_post(self, req: falcon.Request, resp: falcon.Response, vapp_id: int) -> None:
        """Create a machine from the template its ``template`` link names: 201."""
        vapp = self.lookup(req, 'virtualappliance', vapp_id)
        self.require_writer(req)
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
        self.created(req, resp, 'virtualmachine', vm)

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


class Item(TaskAnswers):
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
        vm = self.lookup(req, 'virtualmachine', vm_id)
        self.send(req, resp, self.render(req, 'virtualmachine', vm))

    def on_put(self, req: falcon.Request, resp: falcon.Response, vm_id: int) -> None:
        """Edit: 200 when undeployed; 202 and a RECONFIGURE task for CPUs,
        memory or host name of a deployed machine."""
        vm = self.lookup(req, 'virtualmachine', vm_id)
        caller = self.require_writer(req)
        self.check(req, vm_id=vm_id)
        doc = self.read(req)
        if vm.lock_task:
            raise Locked.held(f'Virtual machine {vm.name}')
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
                raise NotAllowedNow(
                    'The disk of a deployed virtual machine '
                    'cannot change; undeploy it first'
                )
            live = {key: direct.pop(key) for key in _LIVE if key in direct}
        if direct:
            VirtualMachine.update(**direct).where(VirtualMachine.id == vm.id).execute()
        if live:
            task = actions.reconfigure_vm(self.services.engine, caller, vm, live)
            self.answer_started(req, resp, task)
            return
        vm = VirtualMachine.get_by_id(vm.id)
        self.send(req, resp, self.render(req, 'virtualmachine', vm))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, vm_id: int) -> None:
        """Delete: 204 when undeployed, else 202 and a DELETE task."""
        vm = self.lookup(req, 'virtualmachine', vm_id)
        caller = self.require_writer(req)
        self.check(req, vm_id=vm_id)
        task = actions.delete_vm(self.services.engine, caller, vm)
        self.answer_deleted(req, resp, task)


class Action(ActionResource):
    """A machine action: deploy, undeploy, poweron, poweroff or reset."""

    kind = 'virtualmachine'
    item = Item

    def start(self, caller: Caller, vm: VirtualMachine) -> Task:
        return actions.start_vm_action(self.services.engine, caller, vm, self.rel)
