"""Virtual appliances: created by users of an enterprise, deployed as a whole."""

from __future__ import annotations

import falcon

from abiq.auth import Caller
from abiq.db.domain import VirtualAppliance
from abiq.db.models import Task
from abiq.domain import actions
from abiq.paging import CollectionSpec
from abiq.resources.base import Body
from abiq.resources.base import Resource
from abiq.resources.task_answers import ActionResource
from abiq.resources.task_answers import TaskAnswers

__all__ = ['Action', 'Collection', 'Item']

VAPPS = CollectionSpec(
    sort_fields={
        'name': VirtualAppliance.name,
        'id': VirtualAppliance.id,
        'state': VirtualAppliance.state,
    },
    default_sort='name',
    text_fields=(VirtualAppliance.name,),
    tie_breaker=VirtualAppliance.id,
)


class Collection(Resource):
    """Appliances: every visible one (root), or one enterprise's.

    Args:
        services: the shared services.
        per_enterprise: whether the route names an enterprise.
    """

    answers = {'GET': 'virtualappliances', 'POST': 'virtualappliance'}
    reads = {'POST': Body('virtualappliance', ('name',))}
    statuses = {'POST': (201,)}
    paging = VAPPS

    def __init__(self, services, per_enterprise: bool) -> None:
        super().__init__(services)
        self.per_enterprise = per_enterprise

    def _scope(self, req: falcon.Request, params: dict[str, int]) -> int | None:
        caller = self.caller(req)
        if not self.per_enterprise:
            return None if caller.is_admin else caller.enterprise_id
        return self.lookup(req, 'enterprise', params['enterprise_id']).id

    def _href_for(self, req, enterprise_id: int | None):
        urls = self.urls(req)
        if self.per_enterprise:
            return lambda query: urls.of(
                'enterprise', enterprise_id, 'virtualappliances', query=query
            )
        return lambda query: urls.of('virtualappliance', query=query)

    def on_get(self, req: falcon.Request, resp: falcon.Response, **params: int) -> None:
        """List appliances, paged."""
        enterprise_id = self._scope(req, params)
        select = VirtualAppliance.select()
        if enterprise_id is not None:
            select = select.where(VirtualAppliance.enterprise == enterprise_id)
        href_for = self._href_for(req, enterprise_id)
        extra = []
        if self.caller(req).can_write:
            extra.append(
                self.urls(req).link('create', href_for([]), 'virtualappliance')
            )
        self.list_page(req, resp, 'virtualappliance', select, href_for, extra)

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, **params: int
    ) -> None:
        """Create an appliance (nothing is deployed): 201."""
        caller = self.require_writer(req)
        enterprise_id = self._scope(req, params) or caller.enterprise_id
        doc = self.read(req)
        vapp = VirtualAppliance.create(enterprise=enterprise_id, name=doc['name'])
        self.created(req, resp, 'virtualappliance', vapp)


class Item(TaskAnswers):
    """One appliance: read, rename, delete."""

    answers = {
        'GET': 'virtualappliance',
        'PUT': 'virtualappliance',
        'DELETE': 'virtualappliance',
    }
    any_name = frozenset({'DELETE'})
    reads = {'PUT': Body('virtualappliance')}
    # NOTE: a DELETE that waited (Prefer) answers as its ended task would.
    statuses = {'DELETE': (200, 202, 204)}
    request_headers = {'DELETE': ('Prefer',)}

    def on_get(self, req: falcon.Request, resp: falcon.Response, vapp_id: int) -> None:
        """Answer the appliance."""
        vapp = self.lookup(req, 'virtualappliance', vapp_id)
        self.send(req, resp, self.render(req, 'virtualappliance', vapp))

    def on_put(self, req: falcon.Request, resp: falcon.Response, vapp_id: int) -> None:
        """Rename the appliance."""
        vapp = self.lookup(req, 'virtualappliance', vapp_id)
        self.require_writer(req)
        self.check(req, vapp_id=vapp_id)
        doc = self.read(req)
        if 'name' in doc:
            VirtualAppliance.update(name=doc['name']).where(
                VirtualAppliance.id == vapp.id
            ).execute()
        vapp = VirtualAppliance.get_by_id(vapp.id)
        self.send(req, resp, self.render(req, 'virtualappliance', vapp))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, vapp_id: int):
        """Delete: 204 when nothing is deployed, else 202 and a DELETE task."""
        vapp = self.lookup(req, 'virtualappliance', vapp_id)
        caller = self.require_writer(req)
        self.check(req, vapp_id=vapp_id)
        task = actions.delete_vapp(self.services.engine, caller, vapp)
        self.answer_deleted(req, resp, task)


class Action(ActionResource):
    """``deploy`` or ``undeploy`` of a whole appliance: one task covering
    every machine."""

    kind = 'virtualappliance'
    item = Item

    def start(self, caller: Caller, vapp: VirtualAppliance) -> Task:
        return actions.start_vapp_action(self.services.engine, caller, vapp, self.rel)
