"""The XML mapping compiled from a JSON Schema."""

from __future__ import annotations

import orjson
import pytest

from abiq.schemas import SchemaStore
from abiq.xmlmap import Array
from abiq.xmlmap import Element
from abiq.xmlmap import Scalar
from abiq.xmlmap import compile_plan
from tests.unit.samples import codec


def test_a_task_maps_fields_to_elements_in_schema_order():
    plan = codec().plans[('task', 2)]
    assert plan.name == 'task' and plan.attributes == ()
    names = [name for name, _node in plan.fields]
    assert names[:4] == ['links', 'id', 'type', 'description']
    assert plan.ranks['link'] == 0 and plan.ranks['id'] == 1
    assert plan.children['link'] == ('links', plan.children['links'][1], True)


def test_arrays_are_wrapped_or_repeated_as_the_schema_says():
    plan = codec().plans[('task', 2)]
    links, jobs = plan.field('links'), plan.field('jobs')
    assert isinstance(links, Array) and not links.wrapped and links.item_name == 'link'
    assert isinstance(jobs, Array) and jobs.wrapped and jobs.item_name == 'job'
    assert plan.children['link'][0] == 'links' and plan.children['link'][2]
    assert plan.field('link') is None  # an item, not a field
    machine = codec().plans[('virtualmachine', 2)].field('nameservers')
    assert isinstance(machine.item, Scalar) and machine.item_name == 'nameserver'


def test_a_link_is_text_attributes_only():
    link = codec().plans[('task', 2)].field('links').item
    assert isinstance(link, Element)
    assert link.text_attributes == frozenset({'rel', 'href', 'type', 'title'})
    assert link.required == frozenset({'rel', 'href'})
    assert codec().plans[('task', 2)].text_attributes is None


def test_nullable_timestamps_and_plain_scalars():
    plan = codec().plans[('task', 2)]
    finished, progress = plan.field('finishedAt'), plan.field('progress')
    assert (finished.kind, finished.nullable) == ('string', True)
    assert (progress.kind, progress.nullable, progress.rules['maximum']) == (
        'integer',
        False,
        100,
    )


def _store(tmp_path, schema: dict) -> SchemaStore:
    folder = tmp_path / 'v1'
    folder.mkdir()
    (folder / 'doc.json').write_bytes(orjson.dumps(schema))
    return SchemaStore(tmp_path)


@pytest.mark.parametrize(
    ('schema', 'message'),
    [
        ({'type': 'string'}, 'doc v1: a document must be an object'),
        (
            {
                'type': 'object',
                'properties': {
                    'a': {'anyOf': [{'type': 'string'}, {'type': 'integer'}]}
                },
            },
            'anyOf maps to XML only as "X or null"',
        ),
    ],
)
def test_what_the_mapping_does_not_cover_is_refused(tmp_path, schema, message):
    with pytest.raises(ValueError, match=message):
        compile_plan(_store(tmp_path, schema), 'doc', 1)


def test_a_type_list_with_null_is_nullable(tmp_path):
    schema = {'type': 'object', 'properties': {'a': {'type': ['null', 'integer']}}}
    ((name, node),) = compile_plan(_store(tmp_path, schema), 'doc', 1).fields
    assert (name, node.kind, node.nullable) == ('a', 'integer', True)
