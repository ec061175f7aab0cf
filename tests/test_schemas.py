"""The schemas: every JSON Schema is valid, every XSD is current and loads,
and a served JSON Schema resolves its references from its own URL."""

from __future__ import annotations

import httpx
import jsonschema
import orjson
import pytest
import referencing
from lxml import etree

from abiq.config import Config
from abiq.schemas import SchemaStore
from abiq.xsdgen import generate
from tests.support import basic

CONFIG = Config()
STORE = SchemaStore(CONFIG.schema_dir)
MEDIA = [pair for pair in STORE.names() if pair[0] != 'common']


@pytest.mark.parametrize(('name', 'version'), MEDIA)
def test_json_schema_is_valid(name, version):
    jsonschema.Draft202012Validator.check_schema(STORE.schema(name, version))


@pytest.mark.parametrize(('name', 'version'), MEDIA)
def test_committed_xsd_matches_its_json_schema(name, version):
    path = CONFIG.xsd_dir / f'v{version}' / f'{name}.xsd'
    assert path.read_bytes() == generate(STORE, name, version), (
        f'{path} is stale: run make xsd'
    )
    etree.XMLSchema(etree.parse(str(path)))


def test_every_media_type_has_both_versions():
    names = {name for name, _ in MEDIA}
    for name in names:
        assert (name, 1) in MEDIA and (name, 2) in MEDIA


def test_unknown_schema_is_404(api):
    answer = api.as_user(None).get('/schemas/v2/nothing.json', status=404)
    assert answer.codes == ['404-NOT-FOUND']


def _over_http(app) -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=app),
        base_url='http://cloud.example.com:8080',
        headers={'Authorization': basic('alice')},
    )


@pytest.mark.parametrize('version', [1, 2])
def test_a_validator_fetches_the_schemas_it_needs_over_http(app, world, version):
    # NOTE: no local registry: jsonschema resolves every $ref by fetching it
    # from the server, starting from the absolute $id of the served schema.
    fetched = []
    with _over_http(app) as client:
        accept = f'application/vnd.abiq.virtualappliances+json; version={version}'
        answer = client.get('/api/virtualappliances', headers={'Accept': accept})
        assert answer.status_code == 200
        described = [
            link for link in answer.json()['links'] if link['rel'] == 'describedby'
        ]
        assert described[0]['type'] == 'application/schema+json'

        def retrieve(uri: str) -> referencing.Resource:
            fetched.append(uri)
            return referencing.Resource.from_contents(client.get(uri).json())

        schema = client.get(described[0]['href']).json()
        assert schema['$id'] == described[0]['href']
        assert schema['$id'].startswith('http://cloud.example.com:8080/api/')
        validator = jsonschema.Draft202012Validator(
            schema, registry=referencing.Registry(retrieve=retrieve)
        )
        validator.validate(answer.json())
        with pytest.raises(jsonschema.ValidationError):
            validator.validate({**answer.json(), 'links': [{'rel': 'self'}]})
    assert set(fetched) == {
        f'http://cloud.example.com:8080/api/schemas/v{version}/common.json'
    }


def test_every_served_schema_has_its_own_url_as_id(api):
    for name, version in STORE.names():
        href = f'http://localhost/api/schemas/v{version}/{name}.json'
        served = orjson.loads(api.as_user(None).get(href, status=200).body)
        assert served['$id'] == href
        assert {**served, '$id': None} == {**STORE.schema(name, version), '$id': None}
