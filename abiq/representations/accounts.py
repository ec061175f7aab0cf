"""Documents of enterprises, users and tokens (the accounts).

Version 1 and version 2 share these shapes; every renderer takes the
version all the same, so a kind can grow a new shape without new callers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from abiq.timestamps import rfc3339

if TYPE_CHECKING:
    from abiq.auth import Caller
    from abiq.db.models import Enterprise
    from abiq.db.models import Token
    from abiq.db.models import User
    from abiq.links import Urls

__all__ = ['render_enterprise', 'render_token', 'render_user']


def render_enterprise(
    enterprise: Enterprise, urls: Urls, caller: Caller, version: int
) -> dict[str, Any]:
    """Return an enterprise document."""
    href = urls.of('enterprise', enterprise.id)
    links = [
        urls.link('self', href, 'enterprise', enterprise.name),
        urls.link('users', f'{href}/users', 'users'),
        urls.link('tasks', f'{href}/tasks', 'tasks'),
        urls.link(
            'virtualappliances', f'{href}/virtualappliances', 'virtualappliances'
        ),
    ]
    if caller.is_admin:
        links.insert(1, urls.link('edit', href, 'enterprise', enterprise.name))
        links.append(urls.link('parent', urls.of('enterprise'), 'enterprises'))
    return {'links': links, 'id': enterprise.id, 'name': enterprise.name}


def render_user(user: User, urls: Urls, caller: Caller, version: int) -> dict[str, Any]:
    """Return a user document (never the password)."""
    href = urls.of('user', user.id)
    links = [urls.link('self', href, 'user', user.name)]
    if caller.is_admin or caller.user.id == user.id:
        links.append(urls.link('edit', href, 'user', user.name))
        links.append(urls.link('tokens', f'{href}/tokens', 'tokens'))
    enterprise = urls.of('enterprise', user.enterprise_id)
    links.append(urls.link('enterprise', enterprise, 'enterprise'))
    links.append(urls.link('parent', f'{enterprise}/users', 'users'))
    return {
        'links': links,
        'id': user.id,
        'name': user.name,
        'role': user.role,
        'email': user.email,
    }


def render_token(
    token: Token,
    urls: Urls,
    caller: Caller | None,
    version: int,
    secret: str | None = None,
) -> dict[str, Any]:
    """Return a token document; the secret only right after creation."""
    user = urls.of('user', token.user_id)
    doc = {
        'links': [
            urls.link('self', urls.of('token', token.id), 'token', token.name),
            urls.link('user', user, 'user'),
            urls.link('parent', f'{user}/tokens', 'tokens'),
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
