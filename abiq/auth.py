"""Authentication: HTTP Basic and Bearer tokens, and the caller's identity.

A verified credential is remembered for a short time (see
:class:`Authenticator`), so neither the slow password hash nor a database
query is paid on every request. Failed Basic sign-ins are counted per (user
name, client address) pair (:mod:`abiq.db.throttle`); past the limit the
pair gets 429 before any slow hash is paid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from abiq.credentials import basic_pair
from abiq.db.compiled import Compiled
from abiq.db.counters import account_generation
from abiq.db.models import Token
from abiq.db.models import User
from abiq.db.models import utcnow
from abiq.db.throttle import FailureCounter
from abiq.db.throttle import pair_key
from abiq.errors import ApiError
from abiq.errors import unauthorized
from abiq.passwords import hash_secret
from abiq.passwords import verify_password
from abiq.peers import client_address
from abiq.signals import AccountEvents

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config

__all__ = ['MAX_REMEMBERED', 'Authenticator', 'Caller']

ROLES = ('admin', 'user', 'viewer')
#: how often a process asks the database whether accounts changed elsewhere
RECHECK_SECONDS = 1.0
#: how many verified credentials a process remembers at most
MAX_REMEMBERED = 10000
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

    A verified credential (a Basic user name and password, or a token) is
    remembered for ``cache_seconds``, so a request usually needs no query
    and never the slow password hash. What is remembered is dropped when
    accounts change (:meth:`forget` listens to ``accounts``): at once when
    the change is made in this process, and within :data:`RECHECK_SECONDS`
    when it is made elsewhere (another process, ``abiq`` commands), which
    the database's account generation tells (:mod:`abiq.db.counters`);
    seeing it move, this fires ``accounts`` for every listener.

    At most ``remember`` credentials are remembered, the oldest (also the
    first to expire) going first. Keys are fixed-size digests and an entry
    holds one user row of bounded columns: the bound in entries bounds the
    bytes too (see docs/authentication.rst).

    Args:
        config: ``auth_cache_seconds`` (how long a verified credential is
            remembered; 0: never), ``auth_failures_per_minute`` and
            ``trusted_proxies`` (who may name the client's address).
        accounts: the "accounts changed" signal (a new one when omitted).
        clock: the time in seconds since the epoch, for throttling.
        remember: how many credentials are remembered at most.
    """

    def __init__(
        self,
        config: Config,
        *,
        accounts: AccountEvents | None = None,
        clock: Callable[[], float] = time.time,
        remember: int = MAX_REMEMBERED,
    ) -> None:
        self.config = config
        self.cache_seconds = config.auth_cache_seconds
        self.remember = remember
        self.failures = FailureCounter(config.auth_failures_per_minute, clock)
        self._key = secrets.token_bytes(32)
        self._cache: OrderedDict[bytes | str, _Remembered] = OrderedDict()
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._checked = 0.0
        self.accounts = accounts or AccountEvents()
        self.accounts.subscribe(self.forget)

    @property
    def remembered(self) -> int:
        """Return how many credentials are remembered now."""
        return len(self._cache)

    def authenticate(
        self, header: str | None, req: falcon.Request | None = None
    ) -> Caller:
        """Return the caller named by an ``Authorization`` header.

        Args:
            header: the ``Authorization`` header, if any.
            req: the request, whose client address throttling counts by.

        Raises:
            ApiError: 401 ``401-UNAUTHORIZED`` for missing or bad credentials;
                429 ``429-TOO-MANY-REQUESTS`` for a Basic user name that
                failed too often from this address.
        """
        if not header:
            raise unauthorized()
        scheme, _, credentials = header.strip().partition(' ')
        scheme = scheme.lower()
        if scheme == 'basic':
            return self._basic(credentials.strip(), req)
        if scheme == 'bearer':
            return self._bearer(credentials.strip())
        raise unauthorized('Use HTTP Basic or a Bearer token')

    def forget(self) -> None:
        """Drop every remembered credential (accounts changed)."""
        # NOTE: and ask the database again at the next credential: a request
        # that read an account before this change may remember it after.
        with self._lock:
            self._cache = OrderedDict()
            self._checked = 0.0
        self.failures.forget()

    # -- remembering ---------------------------------------------------------

    def _recall(self, key: bytes | str) -> _Remembered | None:
        if not self.cache_seconds:
            return None
        now = time.monotonic()
        if now - self._checked > RECHECK_SECONDS:
            self._recheck(now)
        entry = self._cache.get(key)
        if entry is None or entry.until <= now:
            return None
        return entry

    def _recheck(self, now: float) -> None:
        generation = account_generation()
        with self._lock:
            moved, self._generation = generation != self._generation, generation
        if moved:
            # NOTE: changed elsewhere: forgotten here too (this included).
            # Throttled pairs go through the database again, which marks
            # them anew: only remembered credentials needed the marks.
            self.accounts.changed()
        self._checked = now

    def _remember(self, key: bytes | str, entry: _Remembered) -> None:
        if not self.cache_seconds:
            return
        now = time.monotonic()
        with self._lock:
            cache = self._cache
            cache[key] = entry
            cache.move_to_end(key)
            # NOTE: entries are in the order they expire (all live as long),
            # so the expired and, past the bound, the oldest are at the front:
            # O(1) each, on the slow path only.
            while cache and (
                len(cache) > self.remember or next(iter(cache.values())).until <= now
            ):
                cache.popitem(last=False)

    # -- schemes -------------------------------------------------------------

    def _basic(self, credentials: str, req: falcon.Request | None) -> Caller:
        decoded, name, password = basic_pair(credentials)
        # NOTE: keyed by an HMAC under a per-process key, so the memory of
        # this process never holds a password, nor a hash one could attack.
        key = hmac.new(self._key, decoded.encode(), hashlib.sha256).digest()
        entry = self._recall(key)
        if entry is not None:
            # APPSEC: a throttled pair is refused even a credential verified
            # before, else guesses would go on against the cache. The marks
            # are in memory and nearly always empty: no query here.
            if self.failures.marks:
                _refuse(self.failures.marked(pair_key(name, self._address(req))))
            return entry.caller
        pair = pair_key(name, self._address(req))
        _refuse(self.failures.wait(pair))
        # NOTE: no user name holds U+0000 (user.json), and PostgreSQL fails a
        # query given one.
        user = _USER_BY_NAME.first(name=name) if '\x00' not in name else None
        # NOTE: verify even for unknown names, so timing does not tell
        # whether a user exists.
        stored = user.password_hash if user else _DUMMY_HASH
        if not verify_password(password, stored) or user is None:
            self.failures.failed(pair)
            raise unauthorized('Wrong user name or password')
        caller = Caller(user)
        self._remember(key, _Remembered(caller, None, self._until()))
        return caller

    def _address(self, req: falcon.Request | None) -> str:
        return '' if req is None else client_address(req, self.config)

    def _bearer(self, secret: str) -> Caller:
        if not secret:
            raise unauthorized('Empty Bearer token')
        key = hash_secret(secret)
        now = utcnow()
        entry = self._recall(key)
        if entry is None:
            token = _TOKEN_BY_HASH.first(secret_hash=key)
            if token is None:
                raise unauthorized('Unknown, revoked or expired token')
            last = token.last_used_at
            if last is None or (now - last).total_seconds() > _LAST_USED_EVERY:
                Token.update(last_used_at=now).where(Token.id == token.id).execute()
            entry = _Remembered(Caller(token.user), token.expires_at, self._until())
            self._remember(key, entry)
        if entry.expires_at and entry.expires_at <= now:
            raise unauthorized('Unknown, revoked or expired token')
        return entry.caller

    def _until(self) -> float:
        return time.monotonic() + self.cache_seconds


def _refuse(seconds: int) -> None:
    """Answer 429 when a pair has to wait ``seconds`` (0: let it through)."""
    if seconds:
        raise ApiError.one(
            429,
            '429-TOO-MANY-REQUESTS',
            'Too many failed sign-ins for this user name from this address; '
            f'try again in {seconds} seconds',
            Retry_After=str(seconds),
        )


@dataclass(frozen=True)
class _Remembered:
    """A verified credential: who it is, when a token expires, and until
    when this process may trust it without asking the database."""

    caller: Caller
    expires_at: dt.datetime | None
    until: float


# NOTE: the token and its user in one query: under load every database call
# is a GIL hand-off, so hot paths make as few as they can.
_TOKEN_BY_HASH = Compiled(
    lambda secret_hash: (
        Token.select(Token, User).join(User).where(Token.secret_hash == secret_hash)
    )
)
_USER_BY_NAME = Compiled(lambda name: User.select().where(User.name == name))
_DUMMY_HASH = (
    'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$'
    'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
)
