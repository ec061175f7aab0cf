"""The page's one style sheet and one script, served by abiq itself.

Their URLs carry a digest of their bytes, so they can be cached for a year
(``immutable``): a new release has new URLs. No CDN, nothing inline (the
pages' Content-Security-Policy allows scripts and styles from abiq only).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ['ASSETS', 'Asset']

_FOLDER = Path(__file__).resolve().parent / 'static'
_TYPES = {'.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8'}


@dataclass(frozen=True)
class Asset:
    """A static file: its bytes, media type and digest."""

    name: str
    data: bytes
    content_type: str
    digest: str


def _load() -> dict[str, Asset]:
    assets = {}
    for path in sorted(_FOLDER.iterdir()):
        if path.suffix in _TYPES:
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()[:16]
            assets[path.name] = Asset(path.name, data, _TYPES[path.suffix], digest)
    return assets


#: every asset by file name (``abiq.css``, ``abiq.js``)
ASSETS: dict[str, Asset] = _load()
