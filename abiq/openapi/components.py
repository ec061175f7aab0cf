"""The JSON Schemas as OpenAPI components, their ``$ref`` inside the document.

Each media type is ``{name}_v{N}``; a request body is ``{name}_v{N}_request``,
the same schema without its ``required`` lists (they describe answers). The
shared definitions of ``common.json`` become one component each,
``common_v{N}_{definition}``, so every component is referenced as a whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from abiq.limits import MAX_LINKS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from abiq.schemas import SchemaStore

__all__ = ['components', 'prune']

_COMMON = 'common'
_PREFIX = '#/components/schemas/'


def components(
    schemas: SchemaStore, bodies: Iterable[tuple[str, int]]
) -> dict[str, Any]:
    """Return every schema component, sorted by name.

    Args:
        schemas: the JSON Schemas.
        bodies: the (name, version) pairs read as request bodies.
    """
    found: dict[str, Any] = {}
    for name, version in schemas.names():
        schema = schemas.schema(name, version)
        here = f'{name}_v{version}'
        if name == _COMMON:
            for key, sub in schema.get('$defs', {}).items():
                found[f'{here}_{key}'] = _rewritten(sub, here, version, True)
            continue
        schema.pop('$schema', None)
        found[here] = _rewritten(schema, here, version, True)
    for name, version in sorted(set(bodies)):
        found[f'{name}_v{version}_request'] = _request(schemas, name, version)
    return dict(sorted(found.items()))


def prune(document: dict[str, Any]) -> None:
    """Drop every schema component that nothing refers to."""
    schemas = document['components']['schemas']
    while True:
        used = {ref.removeprefix(_PREFIX).split('/')[0] for ref in _refs(document)}
        unused = [name for name in schemas if name not in used]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def _refs(node: Any, found: set[str] | None = None) -> set[str]:
    found = set() if found is None else found
    if isinstance(node, dict):
        ref = node.get('$ref')
        if isinstance(ref, str) and ref.startswith(_PREFIX):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _request(schemas: SchemaStore, name: str, version: int) -> dict[str, Any]:
    schema = schemas.schema(name, version)
    schema.pop('$schema', None)
    schema['title'] = f'{schema.get("title", name)} (as a request body)'
    links = schema.get('properties', {}).get('links')
    if links is not None:
        # NOTE: what abiq.limits enforces of a body; an answer has no bound.
        links['maxItems'] = MAX_LINKS
    return _rewritten(schema, f'{name}_v{version}_request', version, False)


def _rewritten(node: Any, here: str, version: int, keep_required: bool) -> Any:
    """Point every ``$ref`` inside the document; make ``xml`` an OpenAPI XML
    Object (whose only other fields are ``x-`` extensions)."""
    if isinstance(node, list):
        return [_rewritten(item, here, version, keep_required) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == '$ref':
            result[key] = _ref(value, here, version)
        elif key == 'xml':
            result[key] = _xml_object(value)
        elif key == 'required' and not keep_required and isinstance(value, list):
            continue
        elif key in ('properties', '$defs'):
            # NOTE: property names are data, not keywords ("required" may be one).
            result[key] = {
                name: _rewritten(sub, here, version, keep_required)
                for name, sub in value.items()
            }
        else:
            result[key] = _rewritten(value, here, version, keep_required)
    return result


def _ref(ref: str, here: str, version: int) -> str:
    target, _, fragment = ref.partition('#')
    component = f'{target.removesuffix(".json")}_v{version}' if target else here
    common = f'{_COMMON}_v{version}'
    if component == common and fragment.startswith('/$defs/'):
        # NOTE: a shared definition is a component of its own.
        key, _, rest = fragment.removeprefix('/$defs/').partition('/')
        return f'{_PREFIX}{common}_{key}' + (f'/{rest}' if rest else '')
    return f'{_PREFIX}{component}{fragment}'


def _xml_object(xml: dict[str, Any]) -> dict[str, Any]:
    # NOTE: "type" (the XSD type of a value, for abiq.xsdgen) is not an
    # OpenAPI XML Object field; it becomes an extension.
    return {
        ('x-xsd-type' if key == 'type' else key): value for key, value in xml.items()
    }
