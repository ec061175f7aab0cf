"""The compiled gates of abiq.schemas give jsonschema's verdicts.

A document the gate passes is never checked again, so a gate more lenient
than jsonschema would let an invalid body in: every sample answer, and
hundreds of variants of each (a field dropped, a value of another type or
out of range, a field added, at every depth), must get the same verdict
from both, for answers and for request bodies.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.samples import KEYS
from tests.unit.samples import codec
from tests.unit.samples import sample

ODD_VALUES = (
    None,
    '',
    'x' * 2000,
    'BACKUP',
    '2026-01-02T03:04:05Z',
    -1,
    0,
    101,
    10**7,
    1.5,
    True,
    [],
    [{}],
    {},
    {'rel': 'self'},
)


def _paths(doc: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*path, index))


def _at(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def variants(doc: dict[str, Any]) -> Iterator[Any]:
    """The document, and one change of it at each place."""
    yield doc
    for path in _paths(doc):
        if path:
            *parent_path, last = path
            dropped = copy.deepcopy(doc)
            del _at(dropped, tuple(parent_path))[last]
            yield dropped
            for value in ODD_VALUES:
                changed = copy.deepcopy(doc)
                _at(changed, tuple(parent_path))[last] = copy.deepcopy(value)
                yield changed
        node = _at(doc, path)
        if isinstance(node, dict):
            added = copy.deepcopy(doc)
            _at(added, path)['unexpected'] = 1
            yield added


@pytest.mark.parametrize('kind', ['answer', 'body'])
@pytest.mark.parametrize(('name', 'version'), KEYS)
def test_gate_and_jsonschema_agree(kind, name, version):
    checker = codec().schemas.checker(name, version, body=kind == 'body')
    checked = disagreements = 0
    for doc in variants(sample(name, version)):
        checked += 1
        valid = not any(True for _ in checker.full.iter_errors(doc))
        if checker.gate.is_valid(doc) != valid:
            disagreements += 1
            pytest.fail(f'gate says {not valid}, jsonschema {valid}: {doc!r}')
    assert checked > 20
    assert disagreements == 0


def test_a_refused_body_still_gets_jsonschema_messages():
    store = codec().schemas
    doc = sample('task', 2)
    doc['progress'] = 101
    violations = store.request_violations(doc, 'task', 2)
    assert [(v.pointer, v.message) for v in violations] == [
        ('/progress', '101 is greater than the maximum of 100')
    ]


def test_a_body_may_leave_out_fields_but_a_link_may_not():
    store = codec().schemas
    assert store.request_violations({'type': 'BACKUP'}, 'task', 2) == []
    problems = store.request_violations({'links': [{'rel': 'target'}]}, 'task', 2)
    assert [v.pointer for v in problems] == ['/links/0']
    assert store.violations({'type': 'BACKUP'}, 'task', 2)


def test_where_the_gate_is_stricter_jsonschema_decides():
    # NOTE: Python's re lets a pattern's "$" match before a final newline;
    # the gate refuses such a value, jsonschema (which has the last word)
    # accepts it, as abiq always has.
    store = codec().schemas
    checker = store.checker('task', 2, body=True)
    doc = {'type': 'BACKUP\n'}
    assert not checker.gate.is_valid(doc)
    assert store.request_violations(doc, 'task', 2) == []
