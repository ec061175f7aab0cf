"""The entity registry, its URLs and its route table, without a database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from abiq import entities
from abiq.config import Config
from abiq.entities import ENTITIES
from abiq.entities import KINDS
from abiq.entities import SEGMENTS
from abiq.entities import Entity
from abiq.errors import api_error_of
from abiq.errors import not_found
from abiq.exceptions import NotFound
from abiq.resources import crud
from abiq.resources.routes import table
from tests.unit.renderings import BASE
from tests.unit.renderings import caller
from tests.unit.renderings import row
from tests.unit.renderings import urls

# NOTE: the routes of the API before the registry (app.py wrote them out).
ROUTES = {
    '/',
    '',
    '/schemas/v{version:int}/{name}.json',
    '/xsd/v{version:int}/{name}.xsd',
    '/openapi.json',
    '/health',
    '/tasks',
    '/tasks/{task_id}',
    '/tasks/{task_id}/cancel',
    '/tasks/{task_id}/retry',
    '/diagnostics',
    '/signin',
    '/signout',
    '/static/abiq.css',
    '/static/abiq.js',
    '/enterprises',
    '/enterprises/{enterprise_id:id}',
    '/enterprises/{enterprise_id:id}/users',
    '/enterprises/{enterprise_id:id}/tasks',
    '/templates',
    '/templates/{template_id:id}',
    '/virtualappliances',
    '/enterprises/{enterprise_id:id}/virtualappliances',
    '/virtualappliances/{vapp_id:id}',
    '/virtualappliances/{vapp_id:id}/virtualmachines',
    '/virtualappliances/{vapp_id:id}/tasks',
    '/virtualappliances/{vapp_id:id}/deploy',
    '/virtualappliances/{vapp_id:id}/undeploy',
    '/virtualmachines/{vm_id:id}',
    '/virtualmachines/{vm_id:id}/tasks',
    '/virtualmachines/{vm_id:id}/deploy',
    '/virtualmachines/{vm_id:id}/undeploy',
    '/virtualmachines/{vm_id:id}/poweron',
    '/virtualmachines/{vm_id:id}/poweroff',
    '/virtualmachines/{vm_id:id}/reset',
    '/users/{user_id:id}',
    '/users/{user_id:id}/tokens',
    '/tokens/{token_id:id}',
}


def test_urls_of_a_kind_name_its_collection_one_and_below_one():
    built = urls()
    assert built.of('user') == f'{BASE}/users'
    assert built.of('user', 7) == f'{BASE}/users/7'
    assert built.of('user', 7, 'tokens') == f'{BASE}/users/7/tokens'
    query = [('status', 'failed'), ('limit', 5)]
    assert built.of('task', query=query) == f'{BASE}/tasks?status=failed&limit=5'
    assert built.of('task', 'a b/c') == f'{BASE}/tasks/a%20b%2Fc'


def test_a_task_names_only_kinds_it_can_target():
    built = urls()
    assert built.target('template', '6') == f'{BASE}/templates/6'
    assert built.target('token', '4') is None
    assert built.target('task', 'x') is None
    assert built.target(None, None) is None


def test_every_kind_has_one_segment_and_one_id_field():
    assert SEGMENTS == {kind: entity.segment for kind, entity in ENTITIES.items()}
    assert len(set(SEGMENTS.values())) == len(SEGMENTS)
    assert len({entity.id_field for entity in ENTITIES.values()}) == len(ENTITIES)
    assert set(KINDS) == set(ENTITIES) - {'task', 'token'}


def test_enterprise_rows_are_seen_by_their_enterprise_and_admins():
    vapp = ENTITIES['virtualappliance']
    owned = row(id=7, enterprise_id=1)
    assert vapp.sees(caller('user', enterprise_id=1), owned)
    assert vapp.sees(caller('admin', enterprise_id=3), owned)
    assert not vapp.sees(caller('user', enterprise_id=2), owned)
    assert ENTITIES['template'].sees(caller('viewer', enterprise_id=2), row(id=6))


def test_tokens_are_seen_by_their_user_and_admins_only():
    token = ENTITIES['token']
    owned = row(id=4, user_id=3)
    assert token.sees(caller('user', user_id=3), owned)
    assert token.sees(caller('admin', user_id=9), owned)
    assert not token.sees(caller('user', user_id=2, enterprise_id=1), owned)


class _Id:
    """A model field whose comparison is the value compared with."""

    def __eq__(self, other):
        return other

    __hash__ = object.__hash__


class _Model:
    id = _Id()
    rows = {7: row(id=7, enterprise_id=1)}

    @classmethod
    def get_or_none(cls, entity_id):
        return cls.rows.get(entity_id)


def _kind(**changes) -> Entity:
    fields = {
        'kind': 'network',
        'segment': 'networks',
        'model': _Model,
        'id_field': 'network_id',
        'enterprise_of': lambda found: found.enterprise_id,
        'title_of': lambda found: found.name,
        'parents': ('enterprise',),
    }
    return Entity(**{**fields, **changes})


def test_the_lookup_answers_what_a_missing_entity_answers_to_other_tenants():
    kind = _kind()
    assert kind.get_visible(caller('user', enterprise_id=1), 7).id == 7
    with pytest.raises(NotFound) as other:
        kind.get_visible(caller('user', enterprise_id=2), 7)
    with pytest.raises(NotFound) as missing:
        kind.get_visible(caller('admin'), 8)
    expected = not_found()
    for raised in (other.value, missing.value):
        error = api_error_of(raised)
        assert (error.status, error.errors) == (expected.status, expected.errors)


def test_templates_of_a_kind_follow_its_parents():
    assert _kind().item_template == '/networks/{network_id:id}'
    assert _kind().collection_template('enterprise') == (
        '/enterprises/{enterprise_id:id}/networks'
    )
    assert _kind().collection_template(None) == '/networks'
    assert ENTITIES['task'].item_template == '/tasks/{task_id}'


def _services() -> SimpleNamespace:
    return SimpleNamespace(config=Config(), codec=None)


def test_the_route_table_is_the_routes_of_the_api():
    paths = [path for path, _ in table(_services(), [])]
    assert len(paths) == len(set(paths))
    assert set(paths) == ROUTES


def test_a_registered_kind_gets_generic_routes_and_urls():
    kind = _kind(crud=entities.Crud(fields=('name',)))
    entities.register(kind)
    try:
        routes = dict(table(_services(), []))
        collection = routes['/enterprises/{enterprise_id:id}/networks']
        item = routes['/networks/{network_id:id}']
        assert isinstance(collection, crud.Collection)
        assert collection.answers == {'GET': 'networks', 'POST': 'network'}
        assert isinstance(item, crud.Item)
        assert item.answers == {'GET': 'network', 'PUT': 'network'}
        assert urls().of('network', 7) == f'{BASE}/networks/7'
        assert urls().target('network', 7) == f'{BASE}/networks/7'
    finally:
        entities.unregister('network')
    assert 'network' not in SEGMENTS
    assert 'network' not in KINDS
