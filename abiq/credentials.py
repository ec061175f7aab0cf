"""The ``Authorization`` header, read: its scheme and its credentials.

Pure functions (no database, no memory): :class:`abiq.auth.Authenticator`
verifies what they return.
"""

from __future__ import annotations

import base64
import binascii

from abiq.errors import unauthorized

__all__ = ['basic_pair', 'scheme_of']


def scheme_of(header: str | None) -> tuple[str, str]:
    """Return the scheme (``basic`` or ``bearer``) and credentials of a header.

    Raises:
        ApiError: 401 when there is no header or another scheme.
    """
    if not header:
        raise unauthorized()
    scheme, _, credentials = header.strip().partition(' ')
    scheme = scheme.lower()
    if scheme not in ('basic', 'bearer'):
        raise unauthorized('Use HTTP Basic or a Bearer token')
    return scheme, credentials.strip()


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
