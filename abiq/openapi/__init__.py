"""The OpenAPI 3.1 document of the API, generated from the routes and the
JSON Schemas.

Nothing here is written twice: the paths and methods come from the route
table (:mod:`abiq.openapi.builder`), the representations from
``schemas/v{N}/*.json`` (:mod:`abiq.openapi.components`), each copied under
``components/schemas`` as ``{name}_v{N}`` with its ``$ref`` pointed inside
the document. Request bodies (:mod:`abiq.openapi.bodies`) use
``{name}_v{N}_request``: the same schema without its ``required`` lists,
which describe what a response carries, not what a body must
(docs/media-types.rst); an operation's own needs and an example are added.
Every 201, 202 and 303 answer declares OpenAPI ``links``
(:mod:`abiq.openapi.links`).
"""

from __future__ import annotations

from abiq.openapi.builder import MEDIA_TYPE
from abiq.openapi.builder import build_document
from abiq.openapi.builder import with_server

__all__ = ['MEDIA_TYPE', 'build_document', 'with_server']
