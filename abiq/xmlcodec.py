"""XML serializer and hardened parser for abiq representations.

Both directions walk the :class:`abiq.xmlmap.Element` tree compiled from the
media type's JSON Schema, so an XML document and its JSON twin always carry
the same fields.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from lxml import etree

from abiq.errors import quoted
from abiq.limits import MAX_DEPTH
from abiq.limits import TOO_DEEP
from abiq.xmlmap import Array
from abiq.xmlmap import Element
from abiq.xmlmap import Scalar
from abiq.xmlwriter import plain
from abiq.xmlwriter import writer

__all__ = [
    'XmlSyntaxError',
    'canonical_order',
    'dumps',
    'from_tree',
    'may_hold_not_xml',
    'not_xml_characters',
    'parse',
    'to_tree',
    'xml_text',
]

# XML 1.0 (section 2.2, Char) cannot carry any other character, not even
# as a character reference: U+0000, most C0 controls, U+FFFE, U+FFFF.
_NOT_XML_CHAR = re.compile('[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')
# How orjson writes those: an escaped C0 control (``\u0007``, ``\b``,
# ``\f``; ``\t``, ``\n``, ``\r`` are fine) or U+FFFE, U+FFFF in UTF-8. An
# escaped backslash before ``u00`` or ``b`` matches too, which costs only a
# closer look.
_WRITTEN_NOT_XML = re.compile(rb'\\(?:u00[01]|[bf])|\xef\xbf[\xbe\xbf]')

# APPSEC: no DTD loading, no entity expansion, no network, no huge trees. A
# document with a DOCTYPE is refused outright: abiq never needs one, and
# rejecting it stops XXE and "billion laughs" before any expansion happens.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)

# An element below MAX_DEPTH levels (the document element is level 1),
# looked for by libxml2 itself, before any Python walk of the tree.
_TOO_DEEP = etree.XPath(f'boolean(/{"/".join(["*"] * (MAX_DEPTH + 1))})')


class XmlSyntaxError(ValueError):
    """The bytes are not a well-formed, DOCTYPE-free XML document."""


def parse(data: bytes) -> etree._Element:
    """Parse untrusted bytes into an element tree.

    Raises:
        XmlSyntaxError: malformed XML, a document with a DOCTYPE, or one
            nested deeper than :data:`abiq.limits.MAX_DEPTH` levels.
    """
    try:
        tree = etree.fromstring(data, _PARSER).getroottree()
    except etree.XMLSyntaxError as ex:
        # NOTE: libxml2 stops at 256 levels, with a message of its own.
        if 'Excessive depth' in str(ex):
            raise XmlSyntaxError(TOO_DEEP) from ex
        raise XmlSyntaxError(f'Malformed XML: {quoted(ex)}') from ex
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlSyntaxError('XML documents with a DOCTYPE are not accepted')
    if _TOO_DEEP(tree):
        raise XmlSyntaxError(TOO_DEEP)
    return tree.getroot()


def canonical_order(element, plan: Element) -> None:
    """Put the children of a request body in the order its XSD states.

    A client may give fields and links in any order (API.md section 2);
    the XSD, which also describes answers, states one. Sorting in place,
    stably, before validation keeps the XSD the single check of a body: an
    unknown child goes last and is still refused, a field given twice stays
    twice and is still refused, links keep their order among themselves.
    """
    ranks, last = plan.ranks, len(plan.fields)
    children = list(element)
    keys = [ranks.get(child.tag, last) for child in children]
    if any(keys[index] > keys[index + 1] for index in range(len(keys) - 1)):
        order = sorted(range(len(children)), key=keys.__getitem__)
        element[:] = [children[index] for index in order]
    found = plan.children
    for child in element:
        entry = found.get(child.tag)
        if entry is None:
            continue
        node = entry[1]
        if isinstance(node, Element):
            canonical_order(child, node)
        elif isinstance(node, Array) and isinstance(node.item, Element):
            # NOTE: a link (attributes only) has no children to order.
            if node.item.fields:
                for item in child if node.wrapped else (child,):
                    canonical_order(item, node.item)


def may_hold_not_xml(doc: dict[str, Any]) -> bool:
    """Tell cheaply whether a JSON document may hold what XML cannot carry.

    False means surely not; True, look with :func:`not_xml_characters`.
    """
    # NOTE: one pass in C over orjson's own writing of the document, instead
    # of a Python walk of every string (a body holds up to MAX_LINKS links).
    try:
        data = orjson.dumps(doc)
    except orjson.JSONEncodeError:
        return True  # a lone surrogate
    return _WRITTEN_NOT_XML.search(data) is not None


def not_xml_characters(value: Any, pointer: str = '') -> list[tuple[str, str]]:
    """Return (JSON pointer, character) for every string of a decoded JSON
    document holding a character that XML cannot carry."""
    if isinstance(value, str):
        found = _NOT_XML_CHAR.search(value)
        return [(pointer or '/', found.group())] if found else []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    problems = []
    for key, item in items:
        escaped = str(key).replace('~', '~0').replace('/', '~1')
        problems += not_xml_characters(item, f'{pointer}/{escaped}')
    return problems


def xml_text(text: str) -> str:
    """Return text with each character XML cannot carry written ``\\uXXXX``."""
    return _NOT_XML_CHAR.sub(lambda found: f'\\u{ord(found.group()):04x}', text)


def dumps(doc: dict[str, Any], plan: Element) -> bytes:
    """Serialize a representation to XML bytes with a declaration.

    PERF: written as text by the plan's own writer
    (:mod:`abiq.xmlwriter`), not built as an lxml tree then serialised: a
    page of 25 tasks is ~900 elements, and making them cost twice the rest
    of the page. The bytes are those lxml writes for :func:`to_tree`'s tree
    (``tests/unit/test_xmlcodec.py`` compares both).

    Raises:
        ValueError: a string holds a character XML cannot carry, as lxml
            refuses it (request bodies never let one in).
    """
    out = [_DECLARATION]
    writer(plan)(out, doc, plan.name)
    try:
        data = ''.join(out).encode()
    except UnicodeEncodeError:  # a lone surrogate
        data = b'\x00'
    # PERF: two passes in C over the bytes (~15 us for a page of 25 tasks)
    # where a regex over the text took 100 us: what is left once every byte
    # XML allows is deleted is a C0 control; U+FFFE and U+FFFF are found by
    # their UTF-8 bytes.
    if data.translate(None, _XML_BYTES) or _NOT_XML_NONCHAR.search(data):
        raise ValueError('All strings must be XML compatible')
    return data


_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
_XML_BYTES = b'\t\n\r' + bytes(range(0x20, 0x100))
_NOT_XML_NONCHAR = re.compile(rb'\xef\xbf[\xbe\xbf]')


def to_tree(doc: dict[str, Any], plan: Element, tag: str | None = None):
    """Build the element of one object, its fields in schema order (the
    tree :func:`dumps` writes as text)."""
    element = etree.Element(tag or plan.name)
    for name, _node in plan.attributes:
        value = doc.get(name)
        if value is not None:
            element.set(name, plain(value))
    for name, node in plan.fields:
        value = doc.get(name)
        if value is None:
            continue
        if isinstance(node, Array):
            _append_array(element, name, value, node)
        elif isinstance(node, Element):
            element.append(to_tree(value, node, name))
        else:
            etree.SubElement(element, name).text = plain(value)
    return element


def _append_array(parent, name: str, values: list, node: Array) -> None:
    holder = etree.SubElement(parent, name) if node.wrapped else parent
    for value in values:
        if isinstance(node.item, Element):
            holder.append(to_tree(value, node.item, node.item_name))
        else:
            etree.SubElement(holder, node.item_name).text = plain(value)


def from_tree(element, plan: Element, *, nulls: bool = False) -> dict[str, Any]:
    """Convert an element (already valid against its XSD) to a plain dict.

    Args:
        element: the element.
        plan: its mapping.
        nulls: read absent nullable fields as ``None`` (a response, where an
            absent element means null) instead of leaving them out (a
            request body, where an absent field keeps its value).
    """
    doc = _text_attributes(element, plan)
    if doc is not None:
        return doc
    doc = {
        name: []
        for name, node in plan.fields
        if isinstance(node, Array) and not node.wrapped
    }
    for name, node in plan.attributes:
        text = element.get(name)
        if text is not None:
            doc[name] = _value(text, node)
    children = plan.children
    for child in element:
        found = children.get(child.tag)
        if found is None:
            continue
        name, node, repeated = found
        if repeated:
            doc.setdefault(name, []).append(_read_item(child, node, nulls))
        else:
            _read_field(doc, child, name, node, nulls)
    if nulls:
        for name, node in plan.fields:
            if name not in doc and node.nullable:
                doc[name] = None
    return doc


def _text_attributes(element, plan: Element) -> dict[str, str] | None:
    """Return the attributes of a link-like element, or None."""
    if plan.text_attributes is None:
        return None
    # NOTE: read in one call, as they are: a body holds up to MAX_LINKS
    # links. An attribute the plan does not know goes the long way.
    doc = dict(element.items())
    return doc if doc.keys() <= plan.text_attributes else None


def _read_field(doc: dict, child, name: str, node, nulls: bool) -> None:
    if isinstance(node, Array):
        doc[name] = [_read_item(item, node, nulls) for item in child]
    elif isinstance(node, Element):
        doc[name] = from_tree(child, node, nulls=nulls)
    else:
        doc[name] = _value(child.text or '', node)


def _read_item(child, node: Array, nulls: bool) -> Any:
    if isinstance(node.item, Element):
        return from_tree(child, node.item, nulls=nulls)
    return _value(child.text or '', node.item)


def _value(text: str, node: Scalar) -> Any:
    if node.kind == 'boolean':
        return text.strip() in ('true', '1')
    if node.kind == 'integer':
        return int(text)
    if node.kind == 'number':
        number = float(text)
        return int(number) if number.is_integer() else number
    return text
