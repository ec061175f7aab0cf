"""What a browser's requests carry: CSRF tokens bound to the caller, and
the cookie of the token form (API.md section 12).

A page's forms carry a token that only this caller's pages hold: an HMAC of
the user's id, keyed by the user's stored password hash. It needs no
server-side state and no shared secret between processes, and it changes
(old pages' forms stop working) when the password does.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abiq.auth import Caller

__all__ = ['CSRF_FIELD', 'CSRF_HEADER', 'TOKEN_COOKIE', 'csrf_token', 'valid_csrf']

#: the cookie that holds the API token a person signed in with (HttpOnly)
TOKEN_COOKIE = 'abiq_token'
#: where a form sends the token, and where a script sends it
CSRF_FIELD = 'csrf'
CSRF_HEADER = 'X-CSRF-Token'

_PURPOSE = b'abiq-csrf-v1:'


def csrf_token(caller: Caller) -> str:
    """Return the CSRF token of a caller's pages."""
    key = caller.user.password_hash.encode()
    message = _PURPOSE + str(caller.user.id).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]


def valid_csrf(caller: Caller | None, token: str | None) -> bool:
    """Tell whether a request's token is its caller's (constant time)."""
    if caller is None or not token:
        return False
    return hmac.compare_digest(csrf_token(caller), token)
