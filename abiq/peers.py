"""The client's address, as far as the peer and trusted proxies tell it.

Without a trusted proxy (``ABIQ_TRUSTED_PROXIES``) it is the peer's address
(``REMOTE_ADDR``). When the peer is a trusted proxy, it is the nearest
address in ``Forwarded: for=`` (or, without that header, in
``X-Forwarded-For``) that is not a trusted proxy itself.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from abiq.links import from_trusted_proxy

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config

__all__ = ['client_address']

_MAX_HOPS = 16


def client_address(req: falcon.Request, config: Config) -> str:
    """Return the client's address: the peer's, or behind a trusted proxy
    the nearest forwarded one that is not itself a trusted proxy."""
    peer = req.env.get('REMOTE_ADDR') or ''
    if not from_trusted_proxy(req, config):
        return peer
    forwarded = req.get_header('Forwarded')
    if forwarded:
        hops = [
            value
            for element in forwarded.split(',')
            for key, _, value in (part.partition('=') for part in element.split(';'))
            if key.strip().lower() == 'for'
        ]
    else:
        hops = (req.get_header('X-Forwarded-For') or '').split(',')
    # APPSEC: proxies append on the right, so every hop left of the nearest
    # untrusted one is the client's to make up: taking it would let a
    # guesser pick a new address each time. Real chains are short.
    nearest = peer
    for hop in reversed(hops[-_MAX_HOPS:]):
        if hop.strip():
            nearest = _node(hop)
            if not _is_proxy(nearest, config):
                break
    return nearest


def _node(hop: str) -> str:
    """An RFC 7239 node or X-Forwarded-For entry, without port or brackets."""
    text = hop.strip().strip('"')
    if text.startswith('['):
        text = text[1:].partition(']')[0]
    elif text.count(':') == 1:
        text = text.partition(':')[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text[:64]  # "unknown", an obfuscated name: kept, bounded


def _is_proxy(node: str, config: Config) -> bool:
    try:
        address = ipaddress.ip_address(node)
    except ValueError:
        return False
    return any(address in network for network in config.trusted_proxies)
