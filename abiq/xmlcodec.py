"""XML serializer and hardened parser for abiq representations.

Both directions walk the :class:`abiq.xmlmap.Element` tree compiled from the
media type's JSON Schema, so an XML document and its JSON twin always carry
the same fields.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from abiq.errors import quoted
from abiq.xmlmap import Array
from abiq.xmlmap import Element
from abiq.xmlmap import Scalar

__all__ = [
    'XmlSyntaxError',
    'dumps',
    'from_tree',
    'not_xml_characters',
    'parse',
    'to_tree',
    'xml_text',
]

# XML 1.0 (section 2.2, Char) cannot carry any other character, not even
# as a character reference: U+0000, most C0 controls, U+FFFE, U+FFFF.
_NOT_XML_CHAR = re.compile('[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')

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


class XmlSyntaxError(ValueError):
    """The bytes are not a well-formed, DOCTYPE-free XML document."""


def parse(data: bytes) -> etree._Element:
    """Parse untrusted bytes into an element tree.

    Raises:
        XmlSyntaxError: malformed XML, or a document with a DOCTYPE.
    """
    try:
        tree = etree.fromstring(data, _PARSER).getroottree()
    except etree.XMLSyntaxError as ex:
        raise XmlSyntaxError(f'Malformed XML: {quoted(ex)}') from ex
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlSyntaxError('XML documents with a DOCTYPE are not accepted')
    return tree.getroot()


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
    """Serialize a representation to XML bytes with a declaration."""
    return etree.tostring(
        to_tree(doc, plan), xml_declaration=True, encoding='UTF-8', standalone=True
    )


def to_tree(doc: dict[str, Any], plan: Element, tag: str | None = None):
    """Build the element of one object, its fields in schema order."""
    element = etree.Element(tag or plan.name)
    for name, _node in plan.attributes:
        value = doc.get(name)
        if value is not None:
            element.set(name, _text(value))
    for name, node in plan.fields:
        value = doc.get(name)
        if value is None:
            continue
        if isinstance(node, Array):
            _append_array(element, name, value, node)
        elif isinstance(node, Element):
            element.append(to_tree(value, node, name))
        else:
            etree.SubElement(element, name).text = _text(value)
    return element


def _append_array(parent, name: str, values: list, node: Array) -> None:
    holder = etree.SubElement(parent, name) if node.wrapped else parent
    for value in values:
        if isinstance(node.item, Element):
            holder.append(to_tree(value, node.item, node.item_name))
        else:
            etree.SubElement(holder, node.item_name).text = _text(value)


def _text(value: Any) -> str:
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    return str(value)


def from_tree(element, plan: Element, *, nulls: bool = False) -> dict[str, Any]:
    """Convert an element (already valid against its XSD) to a plain dict.

    Args:
        element: the element.
        plan: its mapping.
        nulls: read absent nullable fields as ``None`` (a response, where an
            absent element means null) instead of leaving them out (a
            request body, where an absent field keeps its value).
    """
    doc: dict[str, Any] = {
        name: []
        for name, node in plan.fields
        if isinstance(node, Array) and not node.wrapped
    }
    for name, node in plan.attributes:
        if name in element.attrib:
            doc[name] = _value(element.attrib[name], node)
    for child in element:
        node = plan.field(child.tag)
        if node is not None:
            _read_field(doc, child, child.tag, node, nulls)
            continue
        array = _unwrapped_array(plan, child.tag)
        if array is not None:
            name, node = array
            doc.setdefault(name, []).append(_read_item(child, node, nulls))
    if nulls:
        for name, node in plan.fields:
            if name not in doc and node.nullable:
                doc[name] = None
    return doc


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


def _unwrapped_array(plan: Element, tag: str) -> tuple[str, Array] | None:
    for name, node in plan.fields:
        if isinstance(node, Array) and not node.wrapped and node.item_name == tag:
            return name, node
    return None


def _value(text: str, node: Scalar) -> Any:
    if node.kind == 'boolean':
        return text.strip() in ('true', '1')
    if node.kind == 'integer':
        return int(text)
    if node.kind == 'number':
        number = float(text)
        return int(number) if number.is_integer() else number
    return text
