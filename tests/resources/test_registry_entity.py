"""A kind added to the entity registry alone is served: docs/contributing.rst.

The test adds what the walk-through names (a model, its schemas, a registry
entry and its renderer) for a throwaway ``network`` kind owned by an
enterprise, and nothing else: the generic resources give it working routes.
"""

from __future__ import annotations

import shutil
from typing import Any

import orjson
import peewee
import pytest

from abiq import entities
from abiq.db.models import BaseModel
from abiq.db.models import Enterprise
from abiq.db.models import database
from abiq.entities import Crud
from abiq.entities import Entity
from abiq.paging import CollectionSpec
from abiq.xsdgen import write_all
from tests.conftest import PASSWORD
from tests.conftest import make_app
from tests.support import Api
from tests.support import basic

NETWORK = 'application/vnd.abiq.network+json'


class Network(BaseModel):
    # NOTE: no backref: the throwaway model leaves Enterprise as it was.
    enterprise = peewee.ForeignKeyField(Enterprise, backref='+')
    name = peewee.CharField(max_length=128, unique=True)
    description = peewee.CharField(max_length=1024, default='')


def render_network(network: Network, urls: Any, caller: Any, version: int) -> dict:
    href = urls.of('network', network.id)
    links = [urls.link('self', href, 'network', network.name)]
    if caller.can_write:
        links.append(urls.link('edit', href, 'network', network.name))
    enterprise = urls.of('enterprise', network.enterprise_id)
    links.append(urls.link('parent', f'{enterprise}/networks', 'networks'))
    links.append(urls.link('enterprise', enterprise, 'enterprise'))
    return {
        'links': links,
        'id': network.id,
        'name': network.name,
        'description': network.description,
    }


def _schemas(folder, source_schemas, source_xsds):
    """Copy the schemas and add the network's (as schemas/v*/ would)."""
    schema_dir, xsd_dir = folder / 'schemas', folder / 'xsd'
    shutil.copytree(source_schemas, schema_dir)
    shutil.copytree(source_xsds, xsd_dir)
    one = {
        '$schema': 'https://json-schema.org/draft/2020-12/schema',
        'title': 'network: a network of an enterprise',
        'type': 'object',
        'xml': {'name': 'network'},
        'additionalProperties': False,
        'required': ['links', 'id', 'name', 'description'],
        'properties': {
            'links': {'$ref': 'common.json#/$defs/links'},
            'id': {'$ref': 'common.json#/$defs/id', 'readOnly': True},
            'name': {'$ref': 'common.json#/$defs/name'},
            'description': {'type': 'string', 'maxLength': 1024},
        },
    }
    page = orjson.loads((schema_dir / 'v2' / 'templates.json').read_bytes())
    page['title'] = 'networks: a page of networks'
    page['xml'] = {'name': 'networks'}
    page['properties']['collection']['items'] = {'$ref': 'network.json'}
    for version in ('v1', 'v2'):
        (schema_dir / version / 'network.json').write_bytes(orjson.dumps(one))
        (schema_dir / version / 'networks.json').write_bytes(orjson.dumps(page))
    write_all(schema_dir, xsd_dir)
    return schema_dir, xsd_dir


@pytest.fixture
def network_api(config, world, tmp_path):
    schema_dir, xsd_dir = _schemas(tmp_path, config.schema_dir, config.xsd_dir)
    entities.register(
        Entity(
            'network',
            'networks',
            Network,
            'network_id',
            lambda row: row.enterprise_id,
            lambda row: row.name,
            render_network,
            parents=('enterprise',),
            paging=CollectionSpec(
                sort_fields={'name': Network.name, 'id': Network.id},
                default_sort='name',
                text_fields=(Network.name,),
                tie_breaker=Network.id,
            ),
            crud=Crud(fields=('name', 'description'), taken='NETWORK-1'),
        )
    )
    database.create_tables([Network])
    try:
        app = make_app(config, schema_dir=schema_dir, xsd_dir=xsd_dir)
        yield Api(app, app.services.codec, basic('alice', PASSWORD))
    finally:
        entities.unregister('network')
        database.drop_tables([Network])


def test_a_registered_kind_gets_its_collection_and_items(network_api, world):
    networks = f'/enterprises/{world.acme.id}/networks'
    created = network_api.post(
        networks,
        {'name': 'lan', 'description': 'the office'},
        content_type=NETWORK,
        accept=NETWORK,
        status=201,
    )
    href = created.headers['Location']
    assert href == created.link('self')
    assert created.link('parent').endswith(networks)
    page = network_api.get(networks, status=200)
    assert [item['name'] for item in page.doc['collection']] == ['lan']
    assert page.link('create').endswith(networks)
    (enterprise,) = [lk for lk in page.doc['links'] if lk['rel'] == 'enterprise']
    assert enterprise['title'] == 'acme'
    changed = network_api.put(
        href, {'description': 'the lab'}, content_type=NETWORK, status=200
    )
    assert changed.doc['description'] == 'the lab'
    assert network_api.get(href, status=200).doc['name'] == 'lan'
    as_xml = network_api.get(href, accept='application/vnd.abiq.network+xml')
    assert (as_xml.status, as_xml.media[1]) == (200, 'xml')
    assert as_xml.doc['description'] == 'the lab'


def test_a_registered_kind_keeps_tenants_and_roles_apart(network_api, world):
    networks = f'/enterprises/{world.acme.id}/networks'
    href = network_api.post(
        networks, {'name': 'lan'}, content_type=NETWORK, status=201
    ).headers['Location']
    bob = network_api.as_user(basic('bob', PASSWORD))
    assert bob.get(href, status=404).codes == ['404-NOT-FOUND']
    assert bob.get(networks, status=404).codes == ['404-NOT-FOUND']
    vera = network_api.as_user(basic('vera', PASSWORD))
    assert not vera.get(networks, status=200).has('create')
    vera.post(networks, {'name': 'wan'}, content_type=NETWORK, status=403)
    taken = network_api.post(networks, {'name': 'lan'}, content_type=NETWORK)
    assert (taken.status, taken.codes) == (409, ['NETWORK-1'])
    network_api.delete(href, status=204)
    network_api.get(href, status=404)


def test_a_registered_kind_is_in_the_openapi_document(network_api):
    document = orjson.loads(network_api.get('/openapi.json', status=200).body)
    paths = document['paths']
    assert {'get', 'post'} <= set(paths['/enterprises/{enterprise_id}/networks'])
    assert {'get', 'put', 'delete'} <= set(paths['/networks/{network_id}'])
    assert 'networks' in {tag['name'] for tag in document['tags']}
