"""Media types, and documents in JSON or XML read into the same dicts.

XML is read and written through the same mapping the server uses (compiled
from each media type's JSON Schema), so a client working in XML gets exactly
the objects a JSON client gets.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import orjson

from abiq import xmlcodec
from abiq.config import Config
from abiq.schemas import SchemaStore
from abiq.xmlmap import Element
from abiq.xmlmap import compile_plan

__all__ = ['MediaType', 'XmlPlans', 'decode', 'encode', 'media_type']

_VENDOR = re.compile(
    r'^application/vnd\.(?P<vendor>[a-z0-9.-]+?)\.(?P<name>[a-z]+)'
    r'\+(?P<format>json|xml)\s*(;\s*version=(?P<version>\d+))?',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MediaType:
    """A vendor media type: ``application/vnd.abiq.task+xml; version=1``."""

    vendor: str
    name: str
    format: str
    version: int | None

    def header(self, version: int | None = None) -> str:
        """Return the type as a header value, with a version when known."""
        text = f'application/vnd.{self.vendor}.{self.name}+{self.format}'
        version = version or self.version
        return f'{text}; version={version}' if version else text

    def as_format(self, fmt: str) -> MediaType:
        """Return the same type in another format."""
        return MediaType(self.vendor, self.name, fmt, self.version)


def media_type(text: str | None) -> MediaType | None:
    """Parse a ``Content-Type`` or link ``type``; None when not a vendor type."""
    match = _VENDOR.match(text or '')
    if match is None:
        return None
    version = match['version']
    return MediaType(
        match['vendor'],
        match['name'].lower(),
        match['format'].lower(),
        int(version) if version else None,
    )


class XmlPlans:
    """The XML mappings of every media type, compiled when first needed."""

    def __init__(self) -> None:
        self._store: SchemaStore | None = None
        self._plans: dict[tuple[str, int], Element] = {}
        self._lock = threading.Lock()

    def plan(self, name: str, version: int) -> Element:
        """Return the mapping of one media type and version."""
        found = self._plans.get((name, version))
        if found is None:
            with self._lock:
                if self._store is None:
                    self._store = SchemaStore(Config().schema_dir)
                found = compile_plan(self._store, name, version)
                self._plans[(name, version)] = found
        return found


def decode(data: bytes, media: MediaType, plans: XmlPlans) -> dict[str, Any]:
    """Read a document (JSON or XML) into a dict."""
    if media.format == 'xml':
        plan = plans.plan(media.name, media.version or 2)
        return xmlcodec.from_tree(xmlcodec.parse(data), plan, nulls=True)
    return orjson.loads(data)


def encode(doc: dict[str, Any], media: MediaType, plans: XmlPlans) -> bytes:
    """Write a request body (JSON or XML)."""
    if media.format == 'xml':
        return xmlcodec.dumps(doc, plans.plan(media.name, media.version or 2))
    return orjson.dumps(doc)
