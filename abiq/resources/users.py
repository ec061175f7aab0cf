"""Users of an enterprise. Admins manage everyone; users edit only themselves."""

from __future__ import annotations

from typing import Any

import falcon
import peewee

from abiq.db.models import User
from abiq.errors import conflict
from abiq.errors import forbidden
from abiq.paging import CollectionSpec
from abiq.passwords import hash_password
from abiq.resources.base import Body
from abiq.resources.base import Resource

__all__ = ['Collection', 'Item']

USERS = CollectionSpec(
    sort_fields={'name': User.name, 'id': User.id, 'role': User.role},
    default_sort='name',
    text_fields=(User.name, User.email),
    tie_breaker=User.id,
)


def _name_taken(name: str) -> Exception:
    return conflict('USER-1', f'A user named {name!r} already exists')


class Collection(Resource):
    """The users of one enterprise; admins create users here."""

    answers = {'GET': 'users', 'POST': 'user'}
    reads = {'POST': Body('user', ('name', 'role', 'password'))}
    statuses = {'POST': (201,)}
    paging = USERS

    def on_get(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """List the enterprise's users, paged."""
        self.lookup(req, 'enterprise', enterprise_id)
        caller, urls = self.caller(req), self.urls(req)
        select = User.select().where(User.enterprise == enterprise_id)

        def href_for(query: list[tuple[str, Any]]) -> str:
            return urls.of('enterprise', enterprise_id, 'users', query=query)

        enterprise = urls.of('enterprise', enterprise_id)
        extra = [urls.link('enterprise', enterprise, 'enterprise')]
        if caller.is_admin:
            extra.append(urls.link('create', href_for([]), 'user'))
        self.list_page(req, resp, 'user', select, href_for, extra)

    def on_post(self, req: falcon.Request, resp: falcon.Response, enterprise_id: int):
        """Create a user (admins): 201 and its location."""
        self.lookup(req, 'enterprise', enterprise_id)
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
        self.created(req, resp, 'user', user)


class Item(Resource):
    """One user."""

    changes_accounts = True

    answers = {'GET': 'user', 'PUT': 'user'}
    reads = {'PUT': Body('user')}
    statuses = {'DELETE': (204,)}

    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        """Answer the user."""
        user = self.lookup(req, 'user', user_id)
        self.send(req, resp, self.render(req, 'user', user))

    def on_put(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        """Change a user: admins anything, a user its own email and password."""
        user = self.lookup(req, 'user', user_id)
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
        self.send(req, resp, self.render(req, 'user', user))

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, user_id: int
    ) -> None:
        """Delete a user (admins; not themselves): 204."""
        user = self.lookup(req, 'user', user_id)
        caller = self.require_admin(req)
        if caller.user.id == user.id:
            raise conflict('USER-2', 'Administrators cannot delete themselves')
        self.check(req, user_id=user_id)
        user.delete_instance()
        self.no_content(resp)
