"""The JSON Schemas and XSDs, served so ``describedby`` links resolve.

Schemas are public (no authentication): XML tools and code generators fetch
them without credentials, and they describe the API, not anyone's data.
"""

from __future__ import annotations

import falcon

from abiq.errors import not_found
from abiq.resources.base import Resource
from abiq.schemas import JSON_SCHEMA_TYPE
from abiq.schemas import XSD_TYPE

__all__ = ['JsonSchema', 'XmlSchema']


class JsonSchema(Resource):
    """``schemas/v{N}/{name}.json``, its own URL as its ``$id``."""

    auth = False
    other_answers = {'GET': (JSON_SCHEMA_TYPE, {'type': 'object'})}

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, version: int, name: str
    ):
        """Answer a JSON Schema document."""
        if not self.codec.schemas.has(name, version):
            raise not_found()
        url = self.urls(req).schema(name, version, 'json')
        resp.data = self.codec.schemas.served(name, version, url)
        resp.content_type = JSON_SCHEMA_TYPE
        resp.cache_control = ('public', 'max-age=3600')


class XmlSchema(Resource):
    """``xsd/v{N}/{name}.xsd``."""

    auth = False
    other_answers = {'GET': (XSD_TYPE, None)}

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, version: int, name: str
    ):
        """Answer an XSD document."""
        path = self.config.xsd_dir / f'v{version}' / f'{name}.xsd'
        if (name, version) not in self.codec.xsds or not path.is_file():
            raise not_found()
        resp.data = path.read_bytes()
        resp.content_type = XSD_TYPE
        resp.cache_control = ('public', 'max-age=3600')
