"""DRF's TokenAuthentication, read from the header abiq's clients send."""

from __future__ import annotations

from rest_framework.authentication import TokenAuthentication

__all__ = ['BearerToken']


class BearerToken(TokenAuthentication):
    """``Authorization: Bearer <key>``: one token lookup (with its user) per
    request, in DRF's own ``authtoken_token`` table."""

    keyword = 'Bearer'
