"""The JSON Schemas of every media type and version, loaded once.

``schemas/v{N}/{name}.json`` is the single source of truth for a representation:
it validates JSON bodies, and (through :mod:`abiq.xmlmap`) it drives the XML
serializer, the XML parser and the generated XSDs, so the two formats cannot drift.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import orjson
import referencing
from referencing.jsonschema import DRAFT202012

from abiq.errors import quoted

__all__ = ['JSON_SCHEMA_TYPE', 'XSD_TYPE', 'Checker', 'SchemaStore', 'Violation']

#: the media type of a served JSON Schema, and of a served XSD
JSON_SCHEMA_TYPE = 'application/schema+json'
XSD_TYPE = 'application/xml'

# The pointer of a link object: an item of a "links" array.
# APPSEC: jsonschema quotes the whole offending value ("'...1 MiB...' is too
# long"); a message shows this much of it, leaving room for the rule.
_SHOWN_VALUE = 120

# NOTE: files are registered under their file URI so relative "$ref"s such as
# "common.json#/$defs/links" resolve here exactly as they do for a client that
# fetched the schema from the server.


@dataclass(frozen=True)
class Violation:
    """One rule a document breaks: where (a JSON pointer) and what."""

    pointer: str
    message: str


class SchemaStore:
    """The JSON Schemas under one folder, one sub-folder per API version.

    Args:
        root: the ``schemas`` folder (holding ``v1``, ``v2``, ...).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._raw: dict[tuple[str, int], bytes] = {}
        resources, bodies, gates, body_gates = [], [], [], []
        for path in sorted(root.glob('v*/*.json')):
            version = int(path.parent.name[1:])
            data = path.read_bytes()
            self._raw[(path.stem, version)] = data
            contents, uri = orjson.loads(data), path.resolve().as_uri()
            resources.append((uri, DRAFT202012.create_resource(contents)))
            # NOTE: without its "$schema", a schema reached by $ref is checked
            # by the referring validator's own class (the body rules below),
            # not by the standard one its "$schema" names.
            plain = {key: value for key, value in contents.items() if key != '$schema'}
            bodies.append((uri, DRAFT202012.create_resource(plain)))
            gates.append((uri, contents))
            body_gates.append((uri, _body_rules(contents)))
        self.registry: referencing.Registry = referencing.Registry().with_resources(
            resources
        )
        body_registry = referencing.Registry().with_resources(bodies)
        gate_registry = jsonschema_rs.Registry(gates)
        body_gate_registry = jsonschema_rs.Registry(body_gates)
        self._validators: dict[tuple[str, int], Checker] = {}
        self._body_validators: dict[tuple[str, int], Checker] = {}
        for name, version in self._raw:
            ref = {'$ref': self.uri(name, version)}
            self._validators[(name, version)] = Checker(
                _gate(ref, gate_registry),
                jsonschema.Draft202012Validator(ref, registry=self.registry),
            )
            self._body_validators[(name, version)] = Checker(
                _gate(ref, body_gate_registry),
                _BodyValidator(ref, registry=body_registry),
            )

    def uri(self, name: str, version: int) -> str:
        """Return the URI a schema is registered under."""
        return (self.root / f'v{version}' / f'{name}.json').resolve().as_uri()

    def names(self) -> list[tuple[str, int]]:
        """Return every (name, version) pair that has a schema."""
        return sorted(self._raw)

    def has(self, name: str, version: int) -> bool:
        """Tell whether a media type name has a schema in a version."""
        return (name, version) in self._raw

    def raw(self, name: str, version: int) -> bytes:
        """Return a schema file's bytes, as stored."""
        return self._raw[(name, version)]

    def served(self, name: str, version: int, url: str) -> bytes:
        """Return a schema as served from a URL: with that URL as ``$id``.

        NOTE: an absolute ``$id`` is the base its relative ``$ref``s
        (``common.json#/$defs/links``) resolve from, so a validator that
        fetched the schema fetches what it refers to from the same server,
        behind whatever proxy or prefix, with no registry of its own.
        """
        doc = orjson.loads(self._raw[(name, version)])
        head = {'$schema': doc['$schema']} if '$schema' in doc else {}
        return orjson.dumps({**head, '$id': url, **doc})

    @staticmethod
    def media_type(fmt: str) -> str:
        """Return the media type of the schema of a format (json, xml)."""
        return XSD_TYPE if fmt == 'xml' else JSON_SCHEMA_TYPE

    def schema(self, name: str, version: int) -> dict[str, Any]:
        """Return a deep copy of a schema document."""
        return copy.deepcopy(self.resolve(self.uri(name, version)))

    def resolve(self, uri: str) -> Any:
        """Return the schema (or part of one) that a URI points at."""
        return self.registry.resolver().lookup(uri).contents

    def checker(self, name: str, version: int, body: bool = False) -> Checker:
        """Return the validators of a representation (``body``: of a
        request body, :meth:`request_violations`)."""
        return (self._body_validators if body else self._validators)[(name, version)]

    def violations(self, doc: Any, name: str, version: int) -> list[Violation]:
        """Return what is wrong with a document, ordered by where.

        Args:
            doc: the decoded document.
            name: its media type name.
            version: its API version.
        """
        return self._validators[(name, version)].violations(doc)

    def request_violations(self, doc: Any, name: str, version: int) -> list[Violation]:
        """Return what is wrong with a request body.

        A body may leave out any field (read-only ones, and on PUT the ones it
        does not change); each resource says which fields creation needs. A
        link is the exception: it is ``rel`` and ``href`` or nothing, in a
        body as in an answer (the XSD requires both attributes too).
        """
        return self._body_validators[(name, version)].violations(doc)


@dataclass(frozen=True)
class Checker:
    """One schema's two validators: a compiled one that only tells whether a
    document is valid, and jsonschema, which says what is wrong with one.

    PERF: jsonschema took ~150 us to pass the two-field body of an action
    (a third of a POST's CPU), the compiled validator ~2 us. Only a document
    the gate refuses is checked again, for the messages; the gate holds the
    same rules (``tests/unit/test_schema_gates.py`` compares their verdicts),
    and where it is stricter (a ``pattern``'s ``$`` before a final newline,
    which Python's ``re`` lets through), jsonschema's verdict is the one
    that counts.
    """

    gate: Any
    full: Any

    def violations(self, doc: Any) -> list[Violation]:
        """Return what is wrong with a document (nothing, if the gate
        passes it)."""
        if self.gate.is_valid(doc):
            return []
        return self.explain(doc)

    def explain(self, doc: Any) -> list[Violation]:
        """Return what jsonschema alone finds wrong, ordered by where."""
        return _violations(self.full, doc)


def _gate(schema: dict[str, Any], registry: Any) -> Any:
    # NOTE: formats unchecked, as by the jsonschema validators (no
    # format_checker); no schema of ours has one.
    return jsonschema_rs.validator_for(
        schema, registry=registry, validate_formats=False
    )


def _body_rules(schema: Any) -> Any:
    """Return a schema with the body's rules (:func:`_link_required`):
    ``required`` kept only in a link's schema."""
    if isinstance(schema, list):
        return [_body_rules(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    link = isinstance(schema.get('xml'), dict) and schema['xml'].get('name') == 'link'
    return {
        key: _body_rules(value)
        for key, value in schema.items()
        # NOTE: a list: the keyword, not a property named "required"
        if link or key != 'required' or not isinstance(value, list)
    }


def _violations(validator: Any, doc: Any) -> list[Violation]:
    found = {
        Violation(_pointer(leaf), _message(leaf))
        for error in validator.iter_errors(doc)
        for leaf in _leaves(error)
    }
    return sorted(found, key=lambda violation: violation.pointer)


def _link_required(validator: Any, required: list[str], instance: Any, schema: dict):
    """``required``, as a request body is held to it: only within a link.

    PERF: checking every required field of a representation, then dropping
    the misses, built and discarded ~20 errors for each valid POST.
    """
    if schema.get('xml', {}).get('name') != 'link':
        return
    if not validator.is_type(instance, 'object'):
        return
    for name in required:
        if name not in instance:
            yield jsonschema.ValidationError(f'{name!r} is a required property')


_BodyValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {'required': _link_required}
)


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    # NOTE: an anyOf failure (a nullable timestamp) has its real reasons in
    # its context; report those, so the message names the actual rule.
    if error.context:
        return [leaf for sub in error.context for leaf in _leaves(sub)]
    return [error]


def _message(error: jsonschema.ValidationError) -> str:
    shown = repr(error.instance)
    if isinstance(error.schema, dict) and error.schema.get('writeOnly'):
        # APPSEC: a secret the client sent (a password) is never written back
        # into an answer (nor a log, nor a stored idempotent answer).
        return error.message.replace(shown, 'the value given')
    if len(shown) <= _SHOWN_VALUE:
        return error.message
    return error.message.replace(shown, quoted(shown, _SHOWN_VALUE))


def _pointer(error: jsonschema.ValidationError) -> str:
    parts = [
        str(part).replace('~', '~0').replace('/', '~1') for part in error.absolute_path
    ]
    return '/' + '/'.join(parts)
