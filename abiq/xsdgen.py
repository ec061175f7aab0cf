"""Generate the XSD of each media type from its JSON Schema.

``xsd/v{N}/{name}.xsd`` is written by ``python -m abiq.xsdgen`` (``make xsd``)
and checked in; a test fails when a committed XSD differs from what the JSON
Schema generates, so the twins cannot drift apart.

Every child element is optional (``minOccurs="0"``): the same XSD validates
request bodies, which may leave out read-only fields or (on PUT) any field.
Presence rules live in the JSON Schema, which XML bodies also pass through
after conversion. Types, enumerations, patterns and ranges are all enforced
by the XSD; so is the order of children in an answer. A request body may give
its children in any order: :func:`abiq.xmlcodec.canonical_order` sorts them
into the XSD's order before validation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

from abiq.config import Config
from abiq.schemas import SchemaStore
from abiq.xmlmap import Array
from abiq.xmlmap import Element
from abiq.xmlmap import Scalar
from abiq.xmlmap import compile_plan

__all__ = ['generate', 'main', 'write_all']

XS = 'http://www.w3.org/2001/XMLSchema'
_BASE_TYPES = {'integer': 'xs:long', 'number': 'xs:decimal', 'boolean': 'xs:boolean'}


def _xs(parent, tag: str, **attrs: str):
    return etree.SubElement(parent, f'{{{XS}}}{tag}', attrs)


def generate(store: SchemaStore, name: str, version: int) -> bytes:
    """Return the XSD of one media type and version."""
    plan = compile_plan(store, name, version)
    root = etree.Element(f'{{{XS}}}schema', nsmap={'xs': XS})
    root.set('elementFormDefault', 'qualified')
    title = store.schema(name, version).get('title', name)
    doc = _xs(_xs(root, 'annotation'), 'documentation')
    doc.text = f'{title}. Generated from schemas/v{version}/{name}.json.'
    _complex(_xs(root, 'element', name=plan.name), plan)
    return etree.tostring(
        root, pretty_print=True, xml_declaration=True, encoding='UTF-8'
    )


def _complex(element, plan: Element) -> None:
    complex_type = _xs(element, 'complexType')
    if plan.fields:
        sequence = _xs(complex_type, 'sequence')
        for name, node in plan.fields:
            _field(sequence, name, node)
    for name, node in plan.attributes:
        attribute = _xs(complex_type, 'attribute', name=name)
        if name in plan.required:
            attribute.set('use', 'required')
        _simple(attribute, node)


def _field(sequence, name: str, node) -> None:
    if isinstance(node, Array) and not node.wrapped:
        item = _xs(sequence, 'element', name=node.item_name, minOccurs='0')
        item.set('maxOccurs', 'unbounded')
        _node(item, node.item)
        return
    child = _xs(sequence, 'element', name=name, minOccurs='0')
    if isinstance(node, Array):
        inner = _xs(_xs(child, 'complexType'), 'sequence')
        item = _xs(inner, 'element', name=node.item_name, minOccurs='0')
        item.set('maxOccurs', 'unbounded')
        _node(item, node.item)
    else:
        _node(child, node)


def _node(element, node) -> None:
    if isinstance(node, Element):
        _complex(element, node)
    else:
        _simple(element, node)


def _simple(element, node: Scalar) -> None:
    rules = node.rules
    if rules.get('xml', {}).get('type') == 'dateTime':
        element.set('type', 'xs:dateTime')
        return
    base = _BASE_TYPES.get(node.kind, 'xs:string')
    facets = _facets(rules)
    if not facets:
        element.set('type', base)
        return
    restriction = _xs(_xs(element, 'simpleType'), 'restriction', base=base)
    for facet, value in facets:
        _xs(restriction, facet, value=value)


def _facets(rules: dict) -> list[tuple[str, str]]:
    facets = [('enumeration', str(value)) for value in rules.get('enum', ())]
    pairs = (
        ('minLength', 'minLength'),
        ('maxLength', 'maxLength'),
        ('minimum', 'minInclusive'),
        ('maximum', 'maxInclusive'),
    )
    facets += [(facet, str(rules[key])) for key, facet in pairs if key in rules]
    if 'pattern' in rules:
        # NOTE: XSD patterns are implicitly anchored; JSON Schema's are not.
        facets.append(('pattern', rules['pattern'].removeprefix('^').removesuffix('$')))
    return facets


def write_all(schema_dir: Path, xsd_dir: Path) -> list[Path]:
    """Write the XSD of every media type; return the paths written."""
    store = SchemaStore(schema_dir)
    written = []
    for name, version in store.names():
        if name == 'common':
            continue
        path = xsd_dir / f'v{version}' / f'{name}.xsd'
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generate(store, name, version))
        written.append(path)
    return written


def main() -> None:
    """Regenerate ``xsd/`` from ``schemas/`` (the package's, see Config)."""
    config = Config()
    for path in write_all(config.schema_dir, config.xsd_dir):
        print(path.relative_to(config.xsd_dir.parent), file=sys.stdout)


if __name__ == '__main__':
    main()
