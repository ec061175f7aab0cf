"""Authentication: HTTP Basic and Bearer tokens, and the caller's identity.

A successful Basic verification is remembered for a short time, keyed by an
HMAC of the credentials under a per-process random key, so the slow password
hash is not paid on every request. The entry also records the stored hash it
was checked against: a password change makes it useless at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from abiq.db.compiled import Compiled
from abiq.db.models import Token
from abiq.db.models import User
from abiq.db.models import utcnow
from abiq.errors import unauthorized
from abiq.passwords import hash_secret
from abiq.passwords import verify_password

__all__ = ['Authenticator', 'Caller']

ROLES = ('admin', 'user', 'viewer')
# NOTE: last-used times are written at most this often per token, so reads
# authenticated by a token do not turn into one write each.
_LAST_USED_EVERY = 60


@dataclass(frozen=True)
class Caller:
    """Who is making a request: the user row and what the role allows."""

    user: User

    @property
    def is_admin(self) -> bool:
        """Tell whether the caller manages every enterprise."""
        return self.user.role == 'admin'

    @property
    def can_write(self) -> bool:
        """Tell whether the caller may change things in its enterprise."""
        return self.user.role in ('admin', 'user')

    @property
    def enterprise_id(self) -> int:
        """Return the id of the caller's enterprise."""
        return self.user.enterprise_id

    def sees_enterprise(self, enterprise_id: int) -> bool:
        """Tell whether resources of an enterprise are visible to the caller."""
        return self.is_admin or enterprise_id == self.enterprise_id


class Authenticator:
    """Checks the ``Authorization`` header of requests.

    Args:
        cache_seconds: how long a Basic verification is remembered (0: never).
    """

    def __init__(self, cache_seconds: int) -> None:
        self.cache_seconds = cache_seconds
        self._key = secrets.token_bytes(32)
        self._cache: dict[bytes, tuple[int, str, float]] = {}
        self._lock = threading.Lock()

    def authenticate(self, header: str | None) -> Caller:
        """Return the caller named by an ``Authorization`` header.

        Raises:
            ApiError: 401 ``401-UNAUTHORIZED`` for missing or bad credentials.
        """
        if not header:
            raise unauthorized()
        scheme, _, credentials = header.strip().partition(' ')
        scheme = scheme.lower()
        if scheme == 'basic':
            return Caller(self._basic(credentials.strip()))
        if scheme == 'bearer':
            return Caller(self._bearer(credentials.strip()))
        raise unauthorized('Use HTTP Basic or a Bearer token')

    def _basic(self, credentials: str) -> User:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode('utf-8')
        except (binascii.Error, UnicodeDecodeError) as ex:
            raise unauthorized('Malformed Basic credentials') from ex
        name, sep, password = decoded.partition(':')
        if not sep:
            raise unauthorized('Malformed Basic credentials')
        user = _USER_BY_NAME.first(name=name)
        key = hmac.new(self._key, decoded.encode(), hashlib.sha256).digest()
        if user is not None and self._remembered(key, user):
            return user
        # NOTE: verify even for unknown names, so timing does not tell
        # whether a user exists.
        stored = user.password_hash if user else _DUMMY_HASH
        if not verify_password(password, stored) or user is None:
            raise unauthorized('Wrong user name or password')
        self._remember(key, user)
        return user

    def _remembered(self, key: bytes, user: User) -> bool:
        if not self.cache_seconds:
            return False
        with self._lock:
            entry = self._cache.get(key)
        if entry is None:
            return False
        user_id, stored_hash, until = entry
        return (
            until > time.monotonic()
            and user_id == user.id
            and hmac.compare_digest(stored_hash, user.password_hash)
        )

    def _remember(self, key: bytes, user: User) -> None:
        if not self.cache_seconds:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._cache) > 10000:
                self._cache = {k: v for k, v in self._cache.items() if v[2] > now}
            self._cache[key] = (user.id, user.password_hash, now + self.cache_seconds)

    def _bearer(self, secret: str) -> User:
        if not secret:
            raise unauthorized('Empty Bearer token')
        token = _TOKEN_BY_HASH.first(secret_hash=hash_secret(secret))
        now = utcnow()
        if token is None or (token.expires_at and token.expires_at <= now):
            raise unauthorized('Unknown, revoked or expired token')
        last = token.last_used_at
        if last is None or (now - last).total_seconds() > _LAST_USED_EVERY:
            Token.update(last_used_at=now).where(Token.id == token.id).execute()
        return token.user


# NOTE: the token and its user in one query: under load every database call
# is a GIL hand-off, so hot paths make as few as they can.
_TOKEN_BY_HASH = Compiled(
    lambda secret_hash: (
        Token.select(Token, User).join(User).where(Token.secret_hash == secret_hash)
    ),
    secret_hash='<secret hash>',
)
_USER_BY_NAME = Compiled(
    lambda name: User.select().where(User.name == name), name='<user name>'
)
_DUMMY_HASH = (
    'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$'
    'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
)
