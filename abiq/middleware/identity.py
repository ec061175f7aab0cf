"""Who is calling, and what a change to accounts makes the process forget."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from abiq.html.csrf import TOKEN_COOKIE

if TYPE_CHECKING:
    import falcon

    from abiq.auth import Authenticator
    from abiq.signals import AccountEvents

__all__ = ['AccountChanges', 'Authentication']

_SAFE = frozenset({'GET', 'HEAD', 'OPTIONS'})


class Authentication:
    """Falcon middleware: ``req.context.caller``, from ``Authorization``
    (or the token form's cookie).

    A resource that declares ``auth = False`` is open to anyone; its
    caller is None.

    Args:
        authenticator: checks credentials (401, 429; see :mod:`abiq.auth`).
    """

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        """Authenticate the caller, unless the resource is open."""
        if getattr(resource, 'auth', True):
            header = req.get_header('Authorization')
            if header is None and (token := req.cookies.get(TOKEN_COOKIE)):
                # NOTE: the token form's cookie (abiq.html): a Bearer token
                # the browser sends by itself, so its writes need the CSRF
                # token too (abiq.middleware.browser).
                header = f'Bearer {token}'
                req.context.cookie_auth = True
            req.context.caller = self.authenticator.authenticate(header, req)
        else:
            req.context.caller = None


class AccountChanges:
    """Falcon middleware: fire "accounts changed" after a write to accounts.

    A resource whose unsafe methods change users, tokens or enterprises
    declares ``changes_accounts``; after such a request (whatever its
    status: a failed one may have changed something before it failed) the
    signal fires, and what was derived from accounts is forgotten.

    Args:
        accounts: the signal (:class:`abiq.signals.AccountEvents`).
    """

    def __init__(self, accounts: AccountEvents) -> None:
        self.accounts = accounts

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Fire the signal after an unsafe request to such a resource."""
        if req.method not in _SAFE and getattr(resource, 'changes_accounts', False):
            self.accounts.changed()
