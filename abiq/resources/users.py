"""Users of an enterprise. Admins manage everyone; users edit only themselves."""

from __future__ import annotations

from typing import Any

import falcon
import peewee

from abiq.auth import Caller
from abiq.db.models import Enterprise
from abiq.db.models import User
from abiq.errors import conflict
from abiq.errors import forbidden
from abiq.errors import not_found
from abiq.links import Urls
from abiq.paging import CollectionSpec
from abiq.passwords import hash_password
from abiq.resources.base import Body
from abiq.resources.base import Resource

__all__ = ['Collection', 'Item', 'render_user']

USERS = CollectionSpec(
    sort_fields={'name': User.name, 'id': User.id, 'role': User.role},
    default_sort='name',
    text_fields=(User.name, User.email),
    tie_breaker=User.id,
)


def render_user(user: User, urls: Urls, caller: Caller) -> dict[str, Any]:
    """Return a user document (never the password)."""
    href = urls.user(user.id)
    links = [urls.link('self', href, 'user', user.name)]
    is_self = caller.user.id == user.id
    if caller.is_admin or is_self:
        links.append(urls.link('edit', href, 'user', user.name))
        links.append(urls.link('tokens', urls.user(user.id, 'tokens'), 'tokens'))
    links.append(
        urls.link('enterprise', urls.enterprise(user.enterprise_id), 'enterprise')
    )
    links.append(
        urls.link('parent', urls.enterprise(user.enterprise_id, 'users'), 'users')
    )
    return {
        'links': links,
        'id': user.id,
        'name': user.name,
        'role': user.role,
        'email': user.email,
    }


def _name_taken(name: str) -> Exception:
    return conflict('USER-1', f'A user named {name!r} already exists')


class Collection(Resource):
    """The users of one enterprise; admins create users here."""

    answers = {'GET': 'users', 'POST': 'user'}
    reads = {'POST': Body('user', ('name', 'role', 'password'))}
    statuses = {'POST': (201,)}
    paging = USERS

    def _enterprise(self, req: falcon.Request, enterprise_id: int) -> Enterprise:
        enterprise = Enterprise.get_or_none(Enterprise.id == enterprise_id)
        if enterprise is None or not self.caller(req).sees_enterprise(enterprise_id):
            raise not_found()
        return enterprise

    def on_get(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """List the enterprise's users, paged."""
        self._enterprise(req, enterprise_id)
        caller, urls = self.caller(req), self.urls(req)
        page = self.page(req, User.select().where(User.enterprise == enterprise_id))
        items = [render_user(user, urls, caller) for user in page.items]

        def href_for(query: list[tuple[str, Any]]) -> str:
            return urls.url('enterprises', enterprise_id, 'users', query=query)

        extra = [urls.link('enterprise', urls.enterprise(enterprise_id), 'enterprise')]
        if caller.is_admin:
            extra.append(urls.link('create', href_for([]), 'user'))
        self.send(req, resp, self.collection(req, page, items, href_for, extra))

    def on_post(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """Create a user (admins): 201 and its location."""
        self._enterprise(req, enterprise_id)
        self.require_admin(req)
        doc = self.read(req)
        try:
            user = User.create(
                enterprise=enterprise_id,
                name=doc['name'],
                role=doc['role'],
                email=doc.get('email', ''),
                password_hash=hash_password(doc['password']),
            )
        except peewee.IntegrityError as ex:
            raise _name_taken(doc['name']) from ex
        urls = self.urls(req)
        self.send(req, resp, render_user(user, urls, self.caller(req)))
        resp.status = falcon.HTTP_201
        resp.location = urls.user(user.id)


class Item(Resource):
    """One user."""

    changes_accounts = True

    answers = {'GET': 'user', 'PUT': 'user'}
    reads = {'PUT': Body('user')}
    statuses = {'DELETE': (204,)}

    def _get(self, req: falcon.Request, user_id: int) -> User:
        user = User.get_or_none(User.id == user_id)
        if user is None or not self.caller(req).sees_enterprise(user.enterprise_id):
            raise not_found()
        return user

    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        """Answer the user."""
        user = self._get(req, user_id)
        self.send(req, resp, render_user(user, self.urls(req), self.caller(req)))

    def on_put(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        """Change a user: admins anything, a user its own email and password."""
        user = self._get(req, user_id)
        caller = self.caller(req)
        if not caller.is_admin and caller.user.id != user.id:
            raise forbidden('Only administrators may change other users')
        self.check(req, user_id=user_id)
        doc = self.read(req)
        if not caller.is_admin and doc.get('role', user.role) != user.role:
            raise forbidden('Only administrators may change roles')
        for field in ('name', 'role', 'email'):
            if field in doc:
                setattr(user, field, doc[field])
        if 'password' in doc:
            user.password_hash = hash_password(doc['password'])
        try:
            user.save()
        except peewee.IntegrityError as ex:
            raise _name_taken(doc['name']) from ex
        self.send(req, resp, render_user(user, self.urls(req), caller))

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, user_id: int
    ) -> None:
        """Delete a user (admins; not themselves): 204."""
        user = self._get(req, user_id)
        caller = self.require_admin(req)
        if caller.user.id == user.id:
            raise conflict('USER-2', 'Administrators cannot delete themselves')
        self.check(req, user_id=user_id)
        user.delete_instance()
        self.no_content(resp)
