"""Enterprises (tenants): admins create, rename and delete them."""

from __future__ import annotations

from typing import Any

import falcon
import peewee

from abiq.db.domain import VirtualAppliance
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import User
from abiq.errors import conflict
from abiq.paging import CollectionSpec
from abiq.resources.base import Body
from abiq.resources.base import Resource

__all__ = ['Collection', 'Item']

ENTERPRISES = CollectionSpec(
    sort_fields={'name': Enterprise.name, 'id': Enterprise.id},
    default_sort='name',
    text_fields=(Enterprise.name,),
    tie_breaker=Enterprise.id,
)


def _name_taken(name: str, ex: peewee.IntegrityError) -> Exception:
    return conflict('ENTERPRISE-1', f'An enterprise named {name!r} already exists')


class Collection(Resource):
    """Every enterprise (admins), or the caller's own (users and viewers)."""

    answers = {'GET': 'enterprises', 'POST': 'enterprise'}
    reads = {'POST': Body('enterprise', ('name',))}
    statuses = {'POST': (201,)}
    paging = ENTERPRISES

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List enterprises, paged."""
        caller, urls = self.caller(req), self.urls(req)
        select = Enterprise.select()
        if not caller.is_admin:
            select = select.where(Enterprise.id == caller.enterprise_id)

        def href_for(query: list[tuple[str, Any]]) -> str:
            return urls.of('enterprise', query=query)

        extra = []
        if caller.is_admin:
            extra.append(urls.link('create', href_for([]), 'enterprise'))
        self.list_page(req, resp, 'enterprise', select, href_for, extra)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an enterprise: 201 and its location."""
        self.require_admin(req)
        doc = self.read(req)
        try:
            enterprise = Enterprise.create(name=doc['name'])
        except peewee.IntegrityError as ex:
            raise _name_taken(doc['name'], ex) from ex
        self.created(req, resp, 'enterprise', enterprise)


class Item(Resource):
    """One enterprise."""

    changes_accounts = True

    answers = {'GET': 'enterprise', 'PUT': 'enterprise'}
    reads = {'PUT': Body('enterprise')}
    statuses = {'DELETE': (204,)}

    def on_get(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """Answer the enterprise."""
        enterprise = self.lookup(req, 'enterprise', enterprise_id)
        self.send(req, resp, self.render(req, 'enterprise', enterprise))

    def on_put(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """Rename the enterprise (admins)."""
        enterprise = self.lookup(req, 'enterprise', enterprise_id)
        self.require_admin(req)
        self.check(req, enterprise_id=enterprise_id)
        doc = self.read(req)
        if 'name' in doc:
            enterprise.name = doc['name']
            try:
                enterprise.save()
            except peewee.IntegrityError as ex:
                raise _name_taken(doc['name'], ex) from ex
        self.send(req, resp, self.render(req, 'enterprise', enterprise))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """Delete an empty enterprise (admins): 204, or 409 while it owns anything."""
        enterprise = self.lookup(req, 'enterprise', enterprise_id)
        self.require_admin(req)
        self.check(req, enterprise_id=enterprise_id)
        owns = (
            User.select().where(User.enterprise == enterprise.id).exists()
            or Task.select().where(Task.enterprise == enterprise.id).exists()
            or VirtualAppliance.select()
            .where(VirtualAppliance.enterprise == enterprise.id)
            .exists()
        )
        if owns:
            raise conflict(
                'ENTERPRISE-2',
                f'Enterprise {enterprise.name!r} still owns users or tasks; '
                'delete them first',
            )
        enterprise.delete_instance()
        self.no_content(resp)
