"""The JSON Schemas as a store: what they find wrong, and how they are served."""

from __future__ import annotations

import orjson
import pytest

from abiq.schemas import JSON_SCHEMA_TYPE
from abiq.schemas import XSD_TYPE
from abiq.schemas import SchemaStore
from abiq.schemas import Violation
from tests.unit.samples import codec


def _store() -> SchemaStore:
    return codec().schemas


def test_every_media_type_is_stored_in_both_versions():
    names = _store().names()
    assert names == sorted(names) and ('common', 2) in names
    assert {name for name, _ in names if (name, 1) in names} == {
        name for name, _ in names
    }
    assert _store().has('task', 1) and not _store().has('task', 3)


def test_violations_are_ordered_by_pointer_with_escaped_keys():
    doc = {'progress': -1, 'type': 'bad type', 'jobs': [{'id/x': 1}], 'links': 'no'}
    found = _store().violations(doc, 'task', 2)
    assert [v.pointer for v in found] == sorted(v.pointer for v in found)
    assert Violation('/progress', '-1 is less than the minimum of 0') in found
    assert any(v.pointer == '/links' for v in found)
    assert any(v.pointer == '/jobs/0' and 'id/x' in v.message for v in found)


def test_a_nullable_timestamp_reports_its_real_rules():
    found = _store().violations({'finishedAt': 'yesterday'}, 'task', 2)
    messages = {v.message for v in found if 'yesterday' in v.message}
    # NOTE: the reasons inside the anyOf, not "is not valid under any of".
    assert "'yesterday' is not of type 'null'" in messages
    assert any(
        message.startswith("'yesterday' does not match '^[0-9]{4}")
        for message in messages
    )
    assert not any('any of the given schemas' in v.message for v in found)
    # NOTE: and they point at the field, not at the document.
    assert {v.pointer for v in found if 'yesterday' in v.message} == {'/finishedAt'}


def test_a_secret_is_never_written_back():
    found = _store().request_violations({'password': 'abc'}, 'user', 2)
    assert found == [Violation('/password', 'the value given is too short')]


def test_a_long_value_is_quoted_short():
    found = _store().request_violations({'description': 'd' * 5000}, 'task', 2)
    (violation,) = found
    assert violation.pointer == '/description'
    assert '\u2026' in violation.message and len(violation.message) < 300
    assert violation.message.endswith('is too long')


def test_a_body_may_leave_out_fields_but_a_link_may_not():
    assert _store().request_violations({}, 'task', 2) == []
    required = _store().violations({}, 'task', 2)
    assert {v.message for v in required} == {
        f"'{name}' is a required property"
        for name in _store().schema('task', 2)['required']
    }
    (violation,) = _store().request_violations({'links': [{'rel': 'r'}]}, 'task', 2)
    assert violation == Violation('/links/0', "'href' is a required property")


def test_a_served_schema_names_its_own_url_after_its_dialect():
    url = 'https://abiq.example.com/api/schemas/v2/task.json'
    served = orjson.loads(_store().served('task', 2, url))
    assert list(served)[:3] == ['$schema', '$id', 'title']
    assert served['$id'] == url
    raw = orjson.loads(_store().raw('task', 2))
    assert {key: value for key, value in served.items() if key != '$id'} == raw


def test_the_media_type_of_a_schema_by_format():
    assert (
        SchemaStore.media_type('json') == JSON_SCHEMA_TYPE == 'application/schema+json'
    )
    assert SchemaStore.media_type('xml') == XSD_TYPE == 'application/xml'


def test_a_schema_is_a_copy():
    schema = _store().schema('task', 2)
    schema['properties'].clear()
    assert _store().schema('task', 2)['properties']


@pytest.mark.parametrize('version', [1, 2])
def test_a_part_of_a_schema_resolves_by_uri(version):
    uri = _store().uri('common', version) + '#/$defs/link'
    assert _store().resolve(uri)['required'] == ['rel', 'href']
