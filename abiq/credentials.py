"""HTTP Basic credentials, read (RFC 7617): a pure function, no database.

:class:`abiq.auth.Authenticator` verifies what :func:`basic_pair` returns.
"""

from __future__ import annotations

import base64
import binascii

from abiq.errors import unauthorized

__all__ = ['basic_pair']


def basic_pair(credentials: str) -> tuple[str, str, str]:
    """Return the decoded Basic credentials, the user name and the password.

    Raises:
        ApiError: 401 when they are not base64 of UTF-8 ``name:password``.
    """
    try:
        decoded = base64.b64decode(credentials, validate=True).decode('utf-8')
    except (binascii.Error, UnicodeDecodeError) as ex:
        raise unauthorized('Malformed Basic credentials') from ex
    name, sep, password = decoded.partition(':')
    if not sep:
        raise unauthorized('Malformed Basic credentials')
    return decoded, name, password
