"""API tokens: created by their user, shown once, revoked by DELETE."""

from __future__ import annotations

import datetime as dt
from typing import Any

import falcon

from abiq import idempotency
from abiq.auth import Caller
from abiq.db.models import Token
from abiq.db.models import User
from abiq.db.models import utcnow
from abiq.errors import bad_request
from abiq.errors import forbidden
from abiq.errors import not_found
from abiq.links import Urls
from abiq.paging import CollectionSpec
from abiq.passwords import hash_secret
from abiq.passwords import new_secret
from abiq.resources.base import Body
from abiq.resources.base import Resource
from abiq.timestamps import parse_rfc3339
from abiq.timestamps import rfc3339

__all__ = ['Collection', 'Item', 'render_token']

TOKENS = CollectionSpec(
    sort_fields={'createdAt': Token.created_at, 'name': Token.name, 'id': Token.id},
    default_sort='createdAt',
    text_fields=(Token.name,),
    tie_breaker=Token.id,
)


def render_token(token: Token, urls: Urls, secret: str | None = None) -> dict[str, Any]:
    """Return a token document; the secret only right after creation."""
    href = urls.token(token.id)
    doc = {
        'links': [
            urls.link('self', href, 'token', token.name),
            urls.link('user', urls.user(token.user_id), 'user'),
            urls.link('parent', urls.user(token.user_id, 'tokens'), 'tokens'),
        ],
        'id': token.id,
        'name': token.name,
        'createdAt': rfc3339(token.created_at),
        'lastUsedAt': rfc3339(token.last_used_at),
        'expiresAt': rfc3339(token.expires_at),
    }
    if secret is not None:
        doc['secret'] = secret
    return doc


def _owner(caller: Caller, user: User | None) -> User:
    """Tokens are private: only their user and admins see them."""
    if user is None or not (caller.is_admin or caller.user.id == user.id):
        raise not_found()
    return user


class Collection(Resource):
    """A user's tokens; the user POSTs here to create one."""

    answers = {'GET': 'tokens', 'POST': 'token'}
    reads = {'POST': Body('token', ('name',))}
    statuses = {'POST': (201,)}
    paging = TOKENS

    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        """List the user's tokens (never their secrets)."""
        caller, urls = self.caller(req), self.urls(req)
        user = _owner(caller, User.get_or_none(User.id == user_id))
        page = self.page(req, Token.select().where(Token.user == user.id))
        items = [render_token(token, urls) for token in page.items]

        def href_for(query: list[tuple[str, Any]]) -> str:
            return urls.url('users', user.id, 'tokens', query=query)

        extra = [urls.link('user', urls.user(user.id), 'user', user.name)]
        if caller.user.id == user.id:
            extra.append(urls.link('create', href_for([]), 'token'))
        self.send(req, resp, self.collection(req, page, items, href_for, extra))

    def on_post(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        """Create a token for yourself: 201, with the secret shown this once.

        A replay of the same keyed request answers the token without it.
        """
        caller = self.caller(req)
        user = _owner(caller, User.get_or_none(User.id == user_id))
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
        urls = self.urls(req)
        self.send(req, resp, render_token(token, urls))
        public = resp.data
        self.send(req, resp, render_token(token, urls, secret))
        resp.status = falcon.HTTP_201
        resp.location = urls.token(token.id)
        # APPSEC: the secret is shown once; an idempotency record keeps, and a
        # replay answers, the token without it (only its hash is stored).
        idempotency.keep(req, public)


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

    def _get(self, req: falcon.Request, token_id: int) -> Token:
        token = Token.get_or_none(Token.id == token_id)
        user = User.get_or_none(User.id == token.user_id) if token else None
        _owner(self.caller(req), user)
        return token

    def on_get(self, req: falcon.Request, resp: falcon.Response, token_id: int) -> None:
        """Answer the token (without its secret)."""
        self.send(req, resp, render_token(self._get(req, token_id), self.urls(req)))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: int):
        """Revoke the token at once: 204."""
        token = self._get(req, token_id)
        self.check(req, token_id=token_id)
        Token.delete().where(Token.id == token.id).execute()
        self.no_content(resp)
