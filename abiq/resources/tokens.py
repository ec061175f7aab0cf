"""API tokens: created by their user, shown once, revoked by DELETE."""

from __future__ import annotations

import datetime as dt
from typing import Any

import falcon

from abiq import idempotency
from abiq.db.models import Token
from abiq.db.models import User
from abiq.db.models import utcnow
from abiq.entities import NOT_FOUND
from abiq.errors import bad_request
from abiq.errors import forbidden
from abiq.exceptions import NotFound
from abiq.paging import CollectionSpec
from abiq.passwords import hash_secret
from abiq.passwords import new_secret
from abiq.representations.accounts import render_token
from abiq.resources.base import Body
from abiq.resources.base import Resource
from abiq.timestamps import parse_rfc3339

__all__ = ['Collection', 'Item']

TOKENS = CollectionSpec(
    sort_fields={'createdAt': Token.created_at, 'name': Token.name, 'id': Token.id},
    default_sort='createdAt',
    text_fields=(Token.name,),
    tie_breaker=Token.id,
)


class Collection(Resource):
    """A user's tokens; the user POSTs here to create one."""

    answers = {'GET': 'tokens', 'POST': 'token'}
    reads = {'POST': Body('token', ('name',))}
    statuses = {'POST': (201,)}
    paging = TOKENS

    def _owner(self, req: falcon.Request, user_id: int) -> User:
        """Return a user whose tokens the caller may see (its own; any for an
        administrator), else answer 404."""
        user = self.lookup(req, 'user', user_id)
        caller = self.caller(req)
        if not (caller.is_admin or caller.user.id == user.id):
            raise NotFound(NOT_FOUND)
        return user

    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        """List the user's tokens (never their secrets)."""
        caller, urls = self.caller(req), self.urls(req)
        user = self._owner(req, user_id)
        select = Token.select().where(Token.user == user.id)

        def href_for(query: list[tuple[str, Any]]) -> str:
            return urls.of('user', user.id, 'tokens', query=query)

        extra = [urls.link('user', urls.of('user', user.id), 'user', user.name)]
        if caller.user.id == user.id:
            extra.append(urls.link('create', href_for([]), 'token'))
        self.list_page(req, resp, 'token', select, href_for, extra)

    # NOTE: a form's 201 is shown, not redirected: the secret is shown once.
    shows_once = True

    def on_post(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        """Create a token for yourself: 201, with the secret shown this once.

        A replay of the same keyed request answers the token without it.
        """
        caller = self.caller(req)
        user = self._owner(req, user_id)
        if user.id != caller.user.id:
            raise forbidden('Tokens can only be created by their own user')
        doc = self.read(req)
        expires_at = _expires_at(doc.get('expiresAt'))
        secret = new_secret()
        token = Token.create(
            user=user.id,
            name=doc['name'],
            secret_hash=hash_secret(secret),
            expires_at=expires_at,
        )
        self.created(req, resp, 'token', token)
        public = resp.data
        version = self.accepted(req).version
        self.send(
            req, resp, render_token(token, self.urls(req), caller, version, secret)
        )
        # APPSEC: the secret is shown once; an idempotency record keeps, and a
        # replay answers, the token without it (only its hash is stored).
        idempotency.keep(req, public)
        # APPSEC: an answer holding a secret is kept by no cache, not even
        # the browser's own (its back button, its history).
        resp.cache_control = ('no-store',)


def _expires_at(text: str | None) -> dt.datetime | None:
    """Return a new token's expiry: none, or a moment in the future."""
    if not text:
        return None
    try:
        expires_at = parse_rfc3339(text)
    except ValueError as ex:
        # NOTE: the schema's pattern admits a 13th month or a 75th day.
        raise bad_request(
            '400-BAD-REQUEST', f'/expiresAt: {text!r} is not a date and time'
        ) from ex
    if expires_at <= utcnow():
        raise bad_request('400-BAD-REQUEST', '/expiresAt: must be in the future')
    return expires_at


class Item(Resource):
    """One token: read it, or revoke it with DELETE."""

    changes_accounts = True

    answers = {'GET': 'token'}
    statuses = {'DELETE': (204,)}

    def on_get(self, req: falcon.Request, resp: falcon.Response, token_id: int) -> None:
        """Answer the token (without its secret)."""
        token = self.lookup(req, 'token', token_id)
        self.send(req, resp, self.render(req, 'token', token))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: int):
        """Revoke the token at once: 204."""
        token = self.lookup(req, 'token', token_id)
        self.check(req, token_id=token_id)
        Token.delete().where(Token.id == token.id).execute()
        self.no_content(resp)
