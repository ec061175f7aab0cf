"""Password and token-secret hashing.

Passwords use scrypt (salted, memory-hard, in the standard library). Token
secrets are 256-bit random strings, so a plain SHA-256 of them is enough to
make a stolen database useless, and it can be looked up by index.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ['hash_password', 'hash_secret', 'new_secret', 'verify_password']

# NOTE: n=2**14, r=8 costs ~16 MiB and tens of milliseconds: slow for an
# attacker, and paid once per credential thanks to the verification cache.
_N, _R, _P = 2**14, 8, 1
_TOKEN_PREFIX = 'abiq_'


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip('=')


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def hash_password(password: str) -> str:
    """Return a salted scrypt hash: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f'scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}'


def verify_password(password: str, stored: str) -> bool:
    """Tell, in constant time, whether a password matches a stored hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split('$')
        if scheme != 'scrypt':
            return False
        candidate = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, _unb64(digest))


def new_secret() -> str:
    """Return a fresh token secret."""
    return _TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Return the stored form of a token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()
