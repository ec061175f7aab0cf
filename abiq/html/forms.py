"""Forms made from a media type's JSON Schema, and their answers made back
into the document a JSON client would have sent.

A page's create and edit forms are generated, never written by hand: one
input per writable field of the schema (read-only fields and nested
objects are left to the JSON and XML clients), and a picker for each
relation the body carries as a link (a machine's template). What the
browser sends back is turned into the same document a JSON client sends,
then validated by the schema as any body is: the form adds no rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urljoin

if TYPE_CHECKING:
    from abiq.schemas import SchemaStore

__all__ = ['RELATIONS', 'Field', 'Relation', 'document_of', 'fields_of', 'values_of']

_NUMBER = re.compile(r'-?[0-9]+(\.[0-9]+)?')
_INTEGER = re.compile(r'-?[0-9]+')


@dataclass(frozen=True)
class Relation:
    """A link a body carries: its rel, the kind whose collection offers the
    choices (None: a URL typed in), and whether the body needs it."""

    rel: str
    source: str | None
    required: bool


#: the links a body of a media type may carry (API.md sections 8, DOMAIN.md)
RELATIONS: dict[str, tuple[Relation, ...]] = {
    'virtualmachine': (Relation('template', 'template', True),),
    'task': (Relation('target', None, False),),
}


@dataclass(frozen=True)
class Field:
    """One input of a form.

    ``name`` is the document's field, or ``link:{rel}`` for a relation;
    ``widget`` is text, secret, integer, number, choice, lines, flag or
    relation.
    """

    name: str
    label: str
    widget: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    source: str | None = None

    @property
    def element_id(self) -> str:
        """Return the id of its input (``f-name``, ``f-link-template``)."""
        return 'f-' + self.name.replace(':', '-')


@functools.lru_cache(maxsize=256)
def fields_of(
    schemas: SchemaStore, name: str, version: int, required: tuple[str, ...] = ()
) -> tuple[Field, ...]:
    """Return the inputs of a form for a body of media type ``name``.

    PERF: remembered; schemas do not change while the process runs, and the
    arguments are few (a media type name, a version and a resource's list).
    """
    uri = schemas.uri(name, version)
    schema = schemas.resolve(uri)
    fields = []
    for key, prop in schema.get('properties', {}).items():
        prop = _resolved(schemas, uri, prop)
        widget = _widget(prop)
        if key == 'links' or prop.get('readOnly') or widget is None:
            continue
        fields.append(
            Field(
                key,
                key,
                widget,
                key in required,
                tuple(prop.get('enum', ())),
                prop.get('minimum'),
                prop.get('maximum'),
            )
        )
    for relation in RELATIONS.get(name, ()):
        label = relation.rel
        fields.append(
            Field(
                f'link:{relation.rel}',
                label,
                'relation',
                relation.required,
                source=relation.source,
            )
        )
    return tuple(fields)


def _resolved(schemas: SchemaStore, uri: str, prop: dict[str, Any]) -> dict[str, Any]:
    """Follow a property's ``$ref`` (its own keywords win)."""
    seen = 0
    while '$ref' in prop and seen < 4:
        target = schemas.resolve(urljoin(uri, prop['$ref']))
        prop = {**target, **{k: v for k, v in prop.items() if k != '$ref'}}
        seen += 1
    return prop


def _widget(prop: dict[str, Any]) -> str | None:
    """Return the input a property is typed in, None when a form has none."""
    kind = prop.get('type')
    if kind is None and 'anyOf' in prop:
        # NOTE: a nullable field; a referenced part here is a timestamp.
        kinds = [part.get('type', 'string') for part in prop['anyOf']]
        kind = next((k for k in kinds if k != 'null'), None)
    if prop.get('writeOnly'):
        return 'secret'
    if 'enum' in prop:
        return 'choice'
    if kind == 'array':
        items = prop.get('items', {})
        return 'lines' if items.get('type') == 'string' else None
    return {
        'string': 'text',
        'integer': 'integer',
        'number': 'number',
        'boolean': 'flag',
    }.get(kind)


def values_of(fields: tuple[Field, ...], doc: Mapping[str, Any]) -> dict[str, str]:
    """Return a document's values as a form shows them (an edit form)."""
    values = {}
    for field in fields:
        if field.widget == 'relation':
            rel = field.name.removeprefix('link:')
            hrefs = [
                link['href'] for link in doc.get('links', ()) if link['rel'] == rel
            ]
            values[field.name] = hrefs[0] if hrefs else ''
            continue
        value = doc.get(field.name)
        if value is None:
            values[field.name] = ''
        elif isinstance(value, list):
            values[field.name] = '\n'.join(map(str, value))
        elif field.widget == 'secret':
            values[field.name] = ''
        elif isinstance(value, bool):
            values[field.name] = 'true' if value else ''
        else:
            values[field.name] = str(value)
    return values


def document_of(fields: tuple[Field, ...], form: Mapping[str, str]) -> dict[str, Any]:
    """Return the document a submitted form stands for.

    A field left empty is left out (creation uses its default, an edit
    keeps the value); a value that is not of its type is passed on as typed,
    so that the schema names the field and the rule it breaks.
    """
    doc: dict[str, Any] = {}
    links = []
    for field in fields:
        raw = form.get(field.name)
        if raw is None:
            continue
        if field.widget == 'lines':
            doc[field.name] = [
                line.strip() for line in raw.splitlines() if line.strip()
            ]
        elif field.widget == 'flag':
            doc[field.name] = raw in ('on', 'true')
        elif not raw.strip():
            continue
        elif field.widget == 'relation':
            links.append({'rel': field.name.removeprefix('link:'), 'href': raw.strip()})
        else:
            doc[field.name] = _typed(field.widget, raw.strip())
    if links:
        doc['links'] = links
    return doc


def _typed(widget: str, raw: str) -> Any:
    if widget == 'integer' and _INTEGER.fullmatch(raw):
        return int(raw)
    if widget == 'number' and _NUMBER.fullmatch(raw):
        return float(raw) if '.' in raw else int(raw)
    return raw
