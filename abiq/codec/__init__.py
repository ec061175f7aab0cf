"""Turning documents into response bodies and request bodies into documents.

:class:`Codec` owns everything format-specific: the negotiator, the compiled
XML mappings and XSDs, and the JSON Schemas. Resources deal in plain dicts.
Reading a body is :mod:`abiq.codec.bodies`; the few media types whose bodies
take a step of their own before validation declare it in
:mod:`abiq.codec.inbound`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import TYPE_CHECKING
from typing import Any

import orjson
from lxml import etree

from abiq import xmlcodec
from abiq.codec.bodies import body_bytes
from abiq.codec.bodies import from_json
from abiq.codec.bodies import from_xml
from abiq.codec.bodies import not_xml
from abiq.codec.bodies import schema_violations
from abiq.codec.inbound import INBOUND
from abiq.errors import ApiError
from abiq.errors import ErrorItem
from abiq.html import HtmlView
from abiq.html import PageFacts
from abiq.html import as_page
from abiq.limits import plain_link_rule
from abiq.linkheader import link_header
from abiq.media import Accepted
from abiq.media import MediaTypeError
from abiq.media import Negotiator
from abiq.mediatypes import VERSIONS
from abiq.preconditions import describe
from abiq.schemas import SchemaStore
from abiq.xmlmap import Element
from abiq.xmlmap import compile_plan

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config
    from abiq.links import Urls

__all__ = ['Codec']


class Codec:
    """Serializes and parses every media type in JSON and XML.

    Args:
        config: the settings (vendor, limits, schema folders, deprecations).
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.negotiator = Negotiator(config.vendor, VERSIONS)
        self.schemas = SchemaStore(config.schema_dir)
        self.html = HtmlView(self.schemas)
        self.plans: dict[tuple[str, int], Element] = {}
        self.xsds: dict[tuple[str, int], etree.XMLSchema] = {}
        for name, version in self.schemas.names():
            if name == 'common':
                continue
            self.plans[(name, version)] = compile_plan(self.schemas, name, version)
            path = config.xsd_dir / f'v{version}' / f'{name}.xsd'
            self.xsds[(name, version)] = etree.XMLSchema(etree.parse(str(path)))
        self._plain_links = {
            key: rule
            for key, plan in self.plans.items()
            if (rule := plain_link_rule(plan)) is not None
        }
        self._deprecation_headers = {
            version: _deprecation_headers(entry)
            for version, entry in config.deprecated_versions.items()
        }

    def dump(self, doc: dict[str, Any], accepted: Accepted) -> bytes:
        """Serialize a document in the accepted format."""
        if accepted.format == 'xml':
            return xmlcodec.dumps(doc, self.plans[(accepted.name, accepted.version)])
        return orjson.dumps(doc)

    def send(
        self,
        resp: falcon.Response,
        doc: dict[str, Any],
        accepted: Accepted,
        urls: Urls,
        facts: PageFacts | None = None,
    ) -> None:
        """Write a document as the response body, with its headers.

        The ``describedby`` link to the document's own schema is added here,
        so no representation can forget it. A browser's page (the ``html``
        view) is the same document shown by :mod:`abiq.html`, with
        ``facts`` about the request.
        """
        links = doc.setdefault('links', [])
        schema = urls.schema(accepted.name, accepted.version, accepted.format)
        links.append(
            {
                'rel': 'describedby',
                'href': schema,
                'type': SchemaStore.media_type(accepted.format),
            }
        )
        # NOTE: what the answer represents, for the policies after the
        # responder (a form's 303 goes to the document's own URL).
        resp.context.document = doc
        if accepted.view == 'html':
            resp.data = self.html.render(doc, accepted, urls, facts or PageFacts())
        else:
            resp.data = self.dump(doc, accepted)
        if header := link_header(doc):
            resp.set_header('Link', header)
        describe(resp, accepted)
        resp.vary = ('Accept',)
        self._describe_type(resp, accepted)

    def _describe_type(self, resp: falcon.Response, accepted: Accepted) -> None:
        """Say what the body is: a page (with its policies) or our type."""
        if accepted.view == 'html':
            as_page(resp)
            return
        resp.content_type = accepted.content_type(self.config.vendor)
        for name, value in self._deprecation_headers.get(accepted.version, ()):
            resp.set_header(name, value)

    def read(
        self,
        req: falcon.Request,
        names: tuple[str, ...],
        *,
        required: tuple[str, ...] = (),
    ) -> tuple[Accepted, dict[str, Any]]:
        """Read and validate a request body.

        Args:
            req: the request.
            names: the media type names this target accepts (first = default).
            required: fields the body must carry (creation).

        Returns:
            The body's media type and the decoded, valid document.

        Raises:
            ApiError: 413, 415 or 400 (one error per violation).
        """
        try:
            body_type = self.negotiator.content_type(req.content_type, names)
        except MediaTypeError as ex:
            raise ApiError.one(415, ex.code, ex.message) from ex
        key = (body_type.name, body_type.version)
        doc = self._document(body_bytes(req, self.config.max_body), body_type)
        problems = schema_violations(self.schemas, doc, key, self._plain_links.get(key))
        problems += [f'/{name}: is required' for name in required if name not in doc]
        if not problems and body_type.format == 'json':
            problems = not_xml(doc)
        if problems:
            raise ApiError(
                400, [ErrorItem('400-BAD-REQUEST', text) for text in problems]
            )
        return body_type, doc

    def _document(self, data: bytes, body_type: Accepted) -> dict[str, Any]:
        """Decode a body, after its media type's own step (if any)."""
        inbound = INBOUND.get(body_type.name)
        if body_type.format == 'xml':
            key = (body_type.name, body_type.version)
            step = inbound.tree if inbound is not None else None
            return from_xml(data, self.plans[key], self.xsds[key], step)
        doc = from_json(data)
        if inbound is not None:
            inbound.doc(doc)
        return doc


def _deprecation_headers(entry) -> tuple[tuple[str, str], ...]:
    when = dt.datetime.combine(entry.deprecated_on, dt.time(), tzinfo=dt.UTC)
    headers = [('Deprecation', f'@{int(when.timestamp())}')]
    if entry.sunset_on:
        sunset = dt.datetime.combine(entry.sunset_on, dt.time(), tzinfo=dt.UTC)
        headers.append(('Sunset', email.utils.format_datetime(sunset, usegmt=True)))
    return tuple(headers)
