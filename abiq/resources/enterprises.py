"""Enterprises (tenants): admins create, rename and delete them."""

from __future__ import annotations

import falcon
import peewee

from abiq.db.domain import VirtualAppliance
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import User
from abiq.errors import conflict
from abiq.errors import not_found
from abiq.links import Urls
from abiq.paging import CollectionSpec
from abiq.resources.base import Body
from abiq.resources.base import Resource

__all__ = ['Collection', 'Item', 'render_enterprise']

ENTERPRISES = CollectionSpec(
    sort_fields={'name': Enterprise.name, 'id': Enterprise.id},
    default_sort='name',
    text_fields=(Enterprise.name,),
    tie_breaker=Enterprise.id,
)


def render_enterprise(enterprise: Enterprise, urls: Urls, is_admin: bool) -> dict:
    """Return an enterprise document."""
    href = urls.enterprise(enterprise.id)
    links = [
        urls.link('self', href, 'enterprise', enterprise.name),
        urls.link('users', urls.enterprise(enterprise.id, 'users'), 'users'),
        urls.link('tasks', urls.enterprise(enterprise.id, 'tasks'), 'tasks'),
        urls.link(
            'virtualappliances',
            urls.enterprise(enterprise.id, 'virtualappliances'),
            'virtualappliances',
        ),
    ]
    if is_admin:
        links.insert(1, urls.link('edit', href, 'enterprise', enterprise.name))
        links.append(urls.link('parent', urls.enterprises(), 'enterprises'))
    return {'links': links, 'id': enterprise.id, 'name': enterprise.name}


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
        page = self.page(req, select)
        items = [render_enterprise(row, urls, caller.is_admin) for row in page.items]
        extra = []
        if caller.is_admin:
            extra.append(urls.link('create', urls.enterprises(), 'enterprise'))
        self.send(req, resp, self.collection(req, page, items, urls.enterprises, extra))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an enterprise: 201 and its location."""
        self.require_admin(req)
        doc = self.read(req)
        try:
            enterprise = Enterprise.create(name=doc['name'])
        except peewee.IntegrityError as ex:
            raise _name_taken(doc['name'], ex) from ex
        urls = self.urls(req)
        self.send(req, resp, render_enterprise(enterprise, urls, True))
        resp.status = falcon.HTTP_201
        resp.location = urls.enterprise(enterprise.id)


class Item(Resource):
    """One enterprise."""

    changes_accounts = True

    answers = {'GET': 'enterprise', 'PUT': 'enterprise'}
    reads = {'PUT': Body('enterprise')}
    statuses = {'DELETE': (204,)}

    def _get(self, req: falcon.Request, enterprise_id: int) -> Enterprise:
        caller = self.caller(req)
        enterprise = Enterprise.get_or_none(Enterprise.id == enterprise_id)
        if enterprise is None or not caller.sees_enterprise(enterprise.id):
            raise not_found()
        return enterprise

    def on_get(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """Answer the enterprise."""
        enterprise = self._get(req, enterprise_id)
        doc = render_enterprise(enterprise, self.urls(req), self.caller(req).is_admin)
        self.send(req, resp, doc)

    def on_put(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """Rename the enterprise (admins)."""
        enterprise = self._get(req, enterprise_id)
        self.require_admin(req)
        self.check(req, enterprise_id=enterprise_id)
        doc = self.read(req)
        if 'name' in doc:
            enterprise.name = doc['name']
            try:
                enterprise.save()
            except peewee.IntegrityError as ex:
                raise _name_taken(doc['name'], ex) from ex
        self.send(req, resp, render_enterprise(enterprise, self.urls(req), True))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """Delete an empty enterprise (admins): 204, or 409 while it owns anything."""
        enterprise = self._get(req, enterprise_id)
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
