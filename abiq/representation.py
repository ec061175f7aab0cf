"""Turning documents into response bodies and request bodies into documents.

:class:`Codec` owns everything format-specific: the negotiator, the compiled
XML mappings and XSDs, and the JSON Schemas. Resources deal in plain dicts.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import TYPE_CHECKING
from typing import Any

import orjson
from lxml import etree

from abiq import xmlcodec
from abiq.errors import ApiError
from abiq.errors import ErrorItem
from abiq.errors import bad_request
from abiq.errors import quoted
from abiq.limits import MAX_DEPTH
from abiq.limits import check_links
from abiq.limits import plain_link_rule
from abiq.limits import too_deep
from abiq.linkheader import link_header
from abiq.media import Accepted
from abiq.media import MediaTypeError
from abiq.media import Negotiator
from abiq.preconditions import describe
from abiq.schemas import SchemaStore
from abiq.statuses import normalize_status
from abiq.xmlmap import Element
from abiq.xmlmap import compile_plan

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config
    from abiq.links import Urls

__all__ = ['VERSIONS', 'Codec']

VERSIONS = (1, 2)
_LINK_INDEX = re.compile(r'/links/([0-9]+)')
_COUNT_LINKS = etree.XPath('count(//link)')


class Codec:
    """Serializes and parses every media type in JSON and XML.

    Args:
        config: the settings (vendor, limits, schema folders, deprecations).
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.negotiator = Negotiator(config.vendor, VERSIONS)
        self.schemas = SchemaStore(config.schema_dir)
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
    ) -> None:
        """Write a document as the response body, with its headers.

        The ``describedby`` link to the document's own schema is added here,
        so no representation can forget it.
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
        resp.data = self.dump(doc, accepted)
        if header := link_header(doc):
            resp.set_header('Link', header)
        describe(resp, accepted)
        resp.content_type = accepted.content_type(self.config.vendor)
        resp.vary = ('Accept',)
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
        data = self._body(req)
        if body_type.format == 'xml':
            doc = self._from_xml(data, body_type)
        else:
            doc = _from_json(data)
        if body_type.name == 'task':
            _normalize_statuses(doc)
        problems = self._violations(doc, body_type)
        problems += [f'/{name}: is required' for name in required if name not in doc]
        if (
            not problems
            and body_type.format == 'json'
            and xmlcodec.may_hold_not_xml(doc)
        ):
            # NOTE: both formats carry the same information: a JSON string
            # that XML cannot carry would break every XML answer holding it
            # (and PostgreSQL refuses U+0000 outright). Checked on a valid
            # document, so every pointer names a field of the schema.
            problems = [
                f'{pointer}: U+{ord(char):04X} is a character XML cannot carry'
                for pointer, char in xmlcodec.not_xml_characters(doc)
            ]
        if problems:
            raise ApiError(
                400, [ErrorItem('400-BAD-REQUEST', text) for text in problems]
            )
        return body_type, doc

    def _violations(self, doc: dict[str, Any], body_type: Accepted) -> list[str]:
        """Return what the schema finds wrong in a body, links included."""
        key = (body_type.name, body_type.version)
        links = doc.get('links')
        plain = self._plain_links.get(key)
        odd: list[int] | None = None
        if isinstance(links, list):
            check_links(len(links))
            if plain is not None:
                # NOTE: the schema validator costs ~50 us a link; a link the
                # plain rule accepts is surely valid, so only the others are
                # left for it to judge (and to point at by their own index).
                odd = [index for index, link in enumerate(links) if not plain(link)]
                doc = {**doc, 'links': [links[index] for index in odd]}
        return [
            quoted(f'{_renumbered(v.pointer, odd)}: {v.message}')
            for v in self.schemas.request_violations(doc, *key)
        ]

    def _body(self, req: falcon.Request) -> bytes:
        limit = self.config.max_body
        if req.content_length is not None and req.content_length > limit:
            raise _too_large(limit)
        # NOTE: an Idempotency-Key request has had its body read already.
        data = getattr(req.context, 'raw_body', None)
        if data is None:
            data = req.bounded_stream.read(limit + 1)
        if len(data) > limit:
            raise _too_large(limit)
        if not data.strip():
            raise bad_request('400-BAD-REQUEST', 'The request body is empty')
        return data

    def _from_xml(self, data: bytes, body_type: Accepted) -> dict[str, Any]:
        try:
            root = xmlcodec.parse(data)
        except xmlcodec.XmlSyntaxError as ex:
            raise bad_request('400-BAD-REQUEST', str(ex)) from ex
        key = (body_type.name, body_type.version)
        plan = self.plans[key]
        if root.tag != plan.name:
            raise bad_request(
                '400-BAD-REQUEST',
                f'/{root.tag}: the document element must be <{plan.name}>',
            )
        check_links(int(_COUNT_LINKS(root)))
        if body_type.name == 'task':
            _normalize_xml_statuses(root)
        xmlcodec.canonical_order(root, plan)
        schema = self.xsds[key]
        if not schema.validate(root):
            raise ApiError(
                400,
                [
                    ErrorItem('400-BAD-REQUEST', quoted(f'{err.path}: {err.message}'))
                    for err in schema.error_log
                ],
            )
        return xmlcodec.from_tree(root, plan)


def _from_json(data: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as ex:
        # NOTE: orjson stops at 1024 levels, with a message of its own.
        if 'depth limit' in str(ex):
            raise too_deep() from ex
        raise bad_request('400-BAD-REQUEST', f'Malformed JSON: {quoted(ex)}') from ex
    if not isinstance(doc, dict):
        raise bad_request('400-BAD-REQUEST', '/: the body must be an object')
    return _whole_numbers(doc)


def _whole_numbers(doc: dict[str, Any]) -> dict[str, Any]:
    """Make every integral float (``1.0``) of a decoded document an int.

    JSON does not tell ``1`` from ``1.0`` (RFC 8259 section 6), nor does a
    JSON Schema ``integer``; the code behind the schemas counts with ints.
    The document, fresh from the decoder, is changed in place.

    Raises:
        ApiError: 400 when an object or array is nested deeper than
            :data:`abiq.limits.MAX_DEPTH` levels (this is the first walk of
            the document, so no recursive one can fail on it).
    """
    pending: list[tuple[Any, int]] = [(doc, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise too_deep()
        for key, value in node.items() if type(node) is dict else enumerate(node):
            kind = type(value)
            if kind is float and value.is_integer():
                node[key] = int(value)
            elif kind is dict or kind is list:
                pending.append((value, depth + 1))
    return doc


def _renumbered(pointer: str, kept: list[int] | None) -> str:
    """Point into the body as sent when only links ``kept`` were checked."""
    found = _LINK_INDEX.match(pointer) if kept is not None else None
    if found is None:
        return pointer
    return f'/links/{kept[int(found[1])]}{pointer[found.end() :]}'


def _too_large(limit: int) -> ApiError:
    return ApiError.one(
        413, '413-PAYLOAD-TOO-LARGE', f'The request body is larger than {limit} bytes'
    )


def _normalize_statuses(doc: dict[str, Any]) -> None:
    """Replace status aliases (``done``, ``In Progress``) with canonical names."""
    holders = [doc] + [job for job in doc.get('jobs') or () if isinstance(job, dict)]
    for holder in holders:
        value = holder.get('status')
        if isinstance(value, str):
            holder['status'] = normalize_status(value) or value


def _normalize_xml_statuses(root: etree._Element) -> None:
    for element in root.iter('status'):
        if element.text:
            element.text = normalize_status(element.text) or element.text


def _deprecation_headers(entry) -> tuple[tuple[str, str], ...]:
    when = dt.datetime.combine(entry.deprecated_on, dt.time(), tzinfo=dt.UTC)
    headers = [('Deprecation', f'@{int(when.timestamp())}')]
    if entry.sunset_on:
        sunset = dt.datetime.combine(entry.sunset_on, dt.time(), tzinfo=dt.UTC)
        headers.append(('Sunset', email.utils.format_datetime(sunset, usegmt=True)))
    return tuple(headers)
