"""Virtual appliances: created by users of an enterprise, deployed as a whole."""

from __future__ import annotations

import falcon

from abiq.auth import Caller
from abiq.db.domain import VirtualAppliance
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.domain import actions
from abiq.errors import not_found
from abiq.paging import CollectionSpec
from abiq.representations.domain import render_vapp
from abiq.resources.base import Body
from abiq.resources.base import Resource
from abiq.resources.task_answers import ActionResource
from abiq.resources.task_answers import answer_started

__all__ = ['Action', 'Collection', 'Item', 'get_vapp']

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


def get_vapp(resource: Resource, req: falcon.Request, vapp_id: int) -> VirtualAppliance:
    """Return an appliance the caller may see, else answer 404."""
    vapp = VirtualAppliance.get_or_none(VirtualAppliance.id == vapp_id)
    if vapp is None or not resource.caller(req).sees_enterprise(vapp.enterprise_id):
        raise not_found()
    return vapp


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
        enterprise_id = params['enterprise_id']
        if not caller.sees_enterprise(enterprise_id) or not Enterprise.get_or_none(
            Enterprise.id == enterprise_id
        ):
            raise not_found()
        return enterprise_id

    def _href_for(self, req, enterprise_id: int | None):
        urls = self.urls(req)
        if self.per_enterprise:
            return lambda query: urls.url(
                'enterprises', enterprise_id, 'virtualappliances', query=query
            )
        return lambda query: urls.url('virtualappliances', query=query)

    def on_get(self, req: falcon.Request, resp: falcon.Response, **params: int) -> None:
        """List appliances, paged."""
        enterprise_id = self._scope(req, params)
        select = VirtualAppliance.select()
        if enterprise_id is not None:
            select = select.where(VirtualAppliance.enterprise == enterprise_id)
        page = self.page(req, select)
        urls, caller = self.urls(req), self.caller(req)
        items = [render_vapp(vapp, urls, caller) for vapp in page.items]
        href_for = self._href_for(req, enterprise_id)
        extra = []
        if caller.can_write:
            extra.append(urls.link('create', href_for([]), 'virtualappliance'))
        self.send(req, resp, self.collection(req, page, items, href_for, extra))

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, **params: int
    ) -> None:
        """Create an appliance (nothing is deployed): 201."""
        caller = self.require_writer(req)
        enterprise_id = self._scope(req, params) or caller.enterprise_id
        doc = self.read(req)
        vapp = VirtualAppliance.create(enterprise=enterprise_id, name=doc['name'])
        urls = self.urls(req)
        self.send(req, resp, render_vapp(vapp, urls, caller))
        resp.status = falcon.HTTP_201
        resp.location = urls.url('virtualappliances', vapp.id)


class Item(Resource):
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
        vapp = get_vapp(self, req, vapp_id)
        self.send(req, resp, render_vapp(vapp, self.urls(req), self.caller(req)))

    def on_put(self, req: falcon.Request, resp: falcon.Response, vapp_id: int) -> None:
        """Rename the appliance."""
        vapp = get_vapp(self, req, vapp_id)
        caller = self.require_writer(req)
        self.check(req, vapp_id=vapp_id)
        doc = self.read(req)
        if 'name' in doc:
            VirtualAppliance.update(name=doc['name']).where(
                VirtualAppliance.id == vapp.id
            ).execute()
        vapp = VirtualAppliance.get_by_id(vapp.id)
        self.send(req, resp, render_vapp(vapp, self.urls(req), caller))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, vapp_id: int):
        """Delete: 204 when nothing is deployed, else 202 and a DELETE task."""
        vapp = get_vapp(self, req, vapp_id)
        caller = self.require_writer(req)
        self.check(req, vapp_id=vapp_id)
        task = actions.delete_vapp(self.services.engine, caller, vapp)
        if task is None:
            self.no_content(resp)
            return
        answer_started(self, req, resp, task)


class Action(ActionResource):
    """``deploy`` or ``undeploy`` of a whole appliance: one task covering
    every machine."""

    item = Item

    def entity(self, req: falcon.Request, vapp_id: int) -> VirtualAppliance:
        return get_vapp(self, req, vapp_id)

    def start(self, caller: Caller, vapp: VirtualAppliance) -> Task:
        return actions.start_vapp_action(self.services.engine, caller, vapp, self.rel)
