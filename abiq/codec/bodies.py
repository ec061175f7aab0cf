"""Reading a request body: its bytes, its document, and what is wrong with it.

Every step refuses with the 4xx error collection of the rule it enforces
(API.md section 11): 413 for size, 400 for syntax, depth, links and schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
from abiq.limits import too_deep

if TYPE_CHECKING:
    import falcon

    from abiq.schemas import SchemaStore
    from abiq.xmlmap import Element

__all__ = [
    'body_bytes',
    'from_json',
    'from_xml',
    'not_xml',
    'schema_violations',
    'too_large',
    'whole_numbers',
]

_LINK_INDEX = re.compile(r'/links/([0-9]+)')
_COUNT_LINKS = etree.XPath('count(//link)')


def body_bytes(req: falcon.Request, limit: int) -> bytes:
    """Return a request's body, refusing one over ``limit`` bytes or empty."""
    if req.content_length is not None and req.content_length > limit:
        raise too_large(limit)
    # NOTE: an Idempotency-Key request has had its body read already.
    data = getattr(req.context, 'raw_body', None)
    if data is None:
        data = req.bounded_stream.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    if not data.strip():
        raise bad_request('400-BAD-REQUEST', 'The request body is empty')
    return data


def from_json(data: bytes) -> dict[str, Any]:
    """Decode a JSON body, which must be an object (integral floats as ints)."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as ex:
        # NOTE: orjson stops at 1024 levels, with a message of its own.
        if 'depth limit' in str(ex):
            raise too_deep() from ex
        raise bad_request('400-BAD-REQUEST', f'Malformed JSON: {quoted(ex)}') from ex
    if not isinstance(doc, dict):
        raise bad_request('400-BAD-REQUEST', '/: the body must be an object')
    return whole_numbers(doc)


def whole_numbers(doc: dict[str, Any]) -> dict[str, Any]:
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


def from_xml(
    data: bytes,
    plan: Element,
    schema: etree.XMLSchema,
    inbound: Callable[[etree._Element], None] | None = None,
) -> dict[str, Any]:
    """Parse an XML body, check it against its XSD, return its document.

    Args:
        data: the body.
        plan: the compiled mapping of the media type and version.
        schema: its XSD.
        inbound: the media type's own step on the tree, if it has one
            (:data:`abiq.codec.inbound.INBOUND`).
    """
    try:
        root = xmlcodec.parse(data)
    except xmlcodec.XmlSyntaxError as ex:
        raise bad_request('400-BAD-REQUEST', str(ex)) from ex
    if root.tag != plan.name:
        raise bad_request(
            '400-BAD-REQUEST',
            f'/{root.tag}: the document element must be <{plan.name}>',
        )
    check_links(int(_COUNT_LINKS(root)))
    if inbound is not None:
        inbound(root)
    xmlcodec.canonical_order(root, plan)
    if not schema.validate(root):
        raise ApiError(
            400,
            [
                ErrorItem('400-BAD-REQUEST', quoted(f'{err.path}: {err.message}'))
                for err in schema.error_log
            ],
        )
    return xmlcodec.from_tree(root, plan)


def schema_violations(
    schemas: SchemaStore,
    doc: dict[str, Any],
    key: tuple[str, int],
    plain: Callable[[Any], bool] | None,
) -> list[str]:
    """Return what the schema of ``key`` finds wrong in a body, links included.

    Args:
        schemas: the JSON Schemas.
        doc: the decoded body.
        key: its media type name and version.
        plain: the cheap test of a link (:func:`abiq.limits.plain_link_rule`).
    """
    links = doc.get('links')
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
        for v in schemas.request_violations(doc, *key)
    ]


def not_xml(doc: dict[str, Any]) -> list[str]:
    """Return a problem for each string of a JSON body that XML cannot carry.

    Both formats carry the same information: such a string would break
    every XML answer holding it (and PostgreSQL refuses U+0000 outright).
    Called on a valid document, so every pointer names a field of the schema.
    """
    if not xmlcodec.may_hold_not_xml(doc):
        return []
    return [
        f'{pointer}: U+{ord(char):04X} is a character XML cannot carry'
        for pointer, char in xmlcodec.not_xml_characters(doc)
    ]


def _renumbered(pointer: str, kept: list[int] | None) -> str:
    """Point into the body as sent when only links ``kept`` were checked."""
    found = _LINK_INDEX.match(pointer) if kept is not None else None
    if found is None:
        return pointer
    return f'/links/{kept[int(found[1])]}{pointer[found.end() :]}'


def too_large(limit: int) -> ApiError:
    """Return the 413 of a body over ``limit`` bytes."""
    return ApiError.one(
        413, '413-PAYLOAD-TOO-LARGE', f'The request body is larger than {limit} bytes'
    )
