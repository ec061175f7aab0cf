"""How a JSON representation maps to XML, compiled from its JSON Schema.

The mapping follows the OpenAPI ``xml`` keyword, which the schemas carry:

* an object is an element named by its ``xml.name``; its properties are child
  elements in schema order, or attributes where ``xml.attribute`` is true;
* an array is a wrapper element holding one child per item when
  ``xml.wrapped`` is true, else its items repeat directly in the parent
  (``links`` becomes ``<link rel=".." href=".."/>`` children, a collection
  becomes repeated ``<task>`` elements);
* ``null`` is an absent element, booleans are ``true``/``false``.

The serializer, the parser and the XSD generator all read the same compiled
:class:`Element` tree, so JSON and XML carry the same information.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from abiq.schemas import SchemaStore

__all__ = ['Array', 'Element', 'Scalar', 'compile_plan']


@dataclass(frozen=True)
class Scalar:
    """A string, number or boolean, with the schema rules that constrain it."""

    kind: str
    nullable: bool
    rules: dict[str, Any]


@dataclass(frozen=True)
class Array:
    """A list: ``wrapped`` in an element of its own or repeated in place."""

    item_name: str
    item: Scalar | Element
    wrapped: bool
    nullable: bool = False


@dataclass(frozen=True)
class Element:
    """An object: attributes, then child fields, in schema order."""

    name: str
    attributes: tuple[tuple[str, Scalar], ...]
    fields: tuple[tuple[str, Scalar | Element | Array], ...]
    nullable: bool = False
    required: frozenset[str] = frozenset()

    def field(self, name: str) -> Scalar | Element | Array | None:
        """Return the node of a child field, or None."""
        found = self.children.get(name)
        return found[1] if found is not None and not found[2] else None

    @cached_property
    def text_attributes(self) -> frozenset[str] | None:
        """Name the attributes of an element of text attributes only.

        None when the element has child fields or a non-text attribute; a
        link has ``rel``, ``href``, ``type`` and ``title``.
        """
        if self.fields or any(node.kind != 'string' for _, node in self.attributes):
            return None
        return frozenset(name for name, _node in self.attributes)

    @cached_property
    def ranks(self) -> dict[str, int]:
        """Map each child element's tag to its place in the XSD's order."""
        return {
            tag: index
            for index, (name, node) in enumerate(self.fields)
            for tag in (
                (node.item_name,)
                if isinstance(node, Array) and not node.wrapped
                else (name,)
            )
        }

    @cached_property
    def children(self) -> dict[str, tuple[str, Scalar | Element | Array, bool]]:
        """Map each child element's tag to (field name, node, repeated).

        ``repeated`` tells an item of an unwrapped array (``<link>`` of
        ``links``) from a field's own element; a field wins a shared tag.
        """
        # NOTE: a dict, not a walk of the fields: a body holds up to
        # MAX_LINKS children, each looked up by its tag.
        found: dict[str, tuple[str, Scalar | Element | Array, bool]] = {
            name: (name, node, False) for name, node in self.fields
        }
        for name, node in self.fields:
            if isinstance(node, Array) and not node.wrapped:
                found.setdefault(node.item_name, (name, node, True))
        return found


def compile_plan(store: SchemaStore, name: str, version: int) -> Element:
    """Compile the XML mapping of one media type and version.

    Raises:
        ValueError: the schema uses a construct the mapping does not cover.
    """
    uri = store.uri(name, version)
    node = _compile(store, uri, store.resolve(uri), name)
    if not isinstance(node, Element):
        raise ValueError(f'{name} v{version}: a document must be an object')
    return node


def _resolved(store: SchemaStore, base: str, schema: dict) -> tuple[str, dict, bool]:
    """Follow ``$ref`` and nullable ``anyOf``; return (base, schema, nullable)."""
    nullable = False
    while True:
        if '$ref' in schema:
            target = _join(base, schema['$ref'])
            base = target.split('#')[0]
            schema = store.resolve(target)
        elif 'anyOf' in schema:
            options = [opt for opt in schema['anyOf'] if opt.get('type') != 'null']
            nullable = nullable or len(options) < len(schema['anyOf'])
            if len(options) != 1:
                raise ValueError('anyOf maps to XML only as "X or null"')
            schema = options[0]
        else:
            return base, schema, nullable


def _join(base: str, ref: str) -> str:
    if ref.startswith('#'):
        return base + ref
    return base.rsplit('/', 1)[0] + '/' + ref


def _compile(store: SchemaStore, base: str, schema: dict, name: str):
    base, schema, nullable = _resolved(store, base, schema)
    kinds = schema.get('type', 'string')
    if isinstance(kinds, list):
        nullable = nullable or 'null' in kinds
        kinds = next(kind for kind in kinds if kind != 'null')
    xml = schema.get('xml', {})
    if kinds == 'array':
        item = _compile(store, base, schema['items'], name)
        item_name = item.name if isinstance(item, Element) else None
        item_name = _item_name(store, base, schema['items']) or item_name or name
        return Array(item_name, item, bool(xml.get('wrapped', True)))
    if kinds != 'object':
        return Scalar(kinds, nullable, schema)
    attributes, fields = [], []
    for prop, sub in schema.get('properties', {}).items():
        node = _compile(store, base, sub, prop)
        sub_xml = _resolved(store, base, sub)[1].get('xml', {})
        if sub_xml.get('attribute'):
            attributes.append((prop, node))
        else:
            fields.append((prop, node))
    return Element(
        xml.get('name', name),
        tuple(attributes),
        tuple(fields),
        nullable,
        frozenset(schema.get('required', ())),
    )


def _item_name(store: SchemaStore, base: str, items: dict) -> str | None:
    return _resolved(store, base, items)[1].get('xml', {}).get('name')
