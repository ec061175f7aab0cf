"""The renderers of abiq.representations, on plain rows: links per role and
state, in order, and documents valid against their schemas."""

from __future__ import annotations

import orjson
import pytest

from abiq.domain.actions import VAPP_ACTIONS
from abiq.domain.actions import VM_ACTIONS
from abiq.representations.accounts import render_enterprise
from abiq.representations.accounts import render_token
from abiq.representations.accounts import render_user
from abiq.representations.domain import render_template
from abiq.representations.domain import render_vapp
from abiq.representations.domain import render_vm
from abiq.representations.tasks import render_task
from abiq.representations.tasks import result_href
from tests.unit.renderings import TASK_ID
from tests.unit.renderings import WHEN
from tests.unit.renderings import assert_valid
from tests.unit.renderings import caller
from tests.unit.renderings import job
from tests.unit.renderings import rels
from tests.unit.renderings import row
from tests.unit.renderings import task
from tests.unit.renderings import urls

VERSIONS = (1, 2)
TASK = f'/tasks/{TASK_ID}'


def _enterprise():
    return row(id=1, name='acme')


@pytest.mark.parametrize('version', VERSIONS)
def test_an_admin_may_edit_an_enterprise_and_go_up_to_every_one(version):
    doc = render_enterprise(_enterprise(), urls(), caller('admin'), version)
    assert rels(doc) == [
        ('self', '/enterprises/1'),
        ('edit', '/enterprises/1'),
        ('users', '/enterprises/1/users'),
        ('tasks', '/enterprises/1/tasks'),
        ('virtualappliances', '/enterprises/1/virtualappliances'),
        ('parent', '/enterprises'),
    ]
    assert doc['links'][0] == {
        'rel': 'self',
        'href': 'http://localhost/api/enterprises/1',
        'type': 'application/vnd.abiq.enterprise+json',
        'title': 'acme',
    }
    assert_valid(doc, 'enterprise', version)


def test_a_user_sees_its_enterprise_without_edit_or_parent():
    doc = render_enterprise(_enterprise(), urls(), caller('user'), 2)
    assert [rel for rel, _ in rels(doc)] == [
        'self',
        'users',
        'tasks',
        'virtualappliances',
    ]


def _user():
    return row(id=3, name='carol', role='user', email='c@example.com', enterprise_id=1)


@pytest.mark.parametrize('who', [caller('admin', user_id=9), caller('user', 3)])
def test_an_admin_or_the_user_itself_may_edit_it_and_see_its_tokens(who):
    doc = render_user(_user(), urls(), who, 2)
    assert rels(doc) == [
        ('self', '/users/3'),
        ('edit', '/users/3'),
        ('tokens', '/users/3/tokens'),
        ('enterprise', '/enterprises/1'),
        ('parent', '/enterprises/1/users'),
    ]
    assert 'password_hash' not in doc
    assert_valid(doc, 'user')


@pytest.mark.parametrize('version', VERSIONS)
def test_another_user_sees_a_user_without_edit_or_tokens(version):
    doc = render_user(_user(), urls(), caller('user', 2), version)
    assert [rel for rel, _ in rels(doc)] == ['self', 'enterprise', 'parent']
    assert_valid(doc, 'user', version)


def _token():
    return row(
        id=4, name='ci', user_id=3, created_at=WHEN, last_used_at=None, expires_at=None
    )


@pytest.mark.parametrize('version', VERSIONS)
def test_a_token_shows_its_secret_only_when_given(version):
    doc = render_token(_token(), urls(), caller('user', 3), version)
    assert rels(doc) == [
        ('self', '/tokens/4'),
        ('user', '/users/3'),
        ('parent', '/users/3/tokens'),
    ]
    assert 'secret' not in doc
    assert doc['createdAt'] == '2026-01-02T03:04:05.678Z'
    assert_valid(doc, 'token', version)
    shown = render_token(_token(), urls(), caller('user', 3), version, 'abc')
    assert shown['secret'] == 'abc'


def _template():
    return row(id=6, name='debian', description='', os='linux', cpu=1, ram=512, disk=10)


@pytest.mark.parametrize('version', VERSIONS)
def test_only_an_admin_may_edit_a_template(version):
    admin = render_template(_template(), urls(), caller('admin'), version)
    assert rels(admin) == [
        ('self', '/templates/6'),
        ('edit', '/templates/6'),
        ('parent', '/templates'),
    ]
    user = render_template(_template(), urls(), caller('user'), version)
    assert [rel for rel, _ in rels(user)] == ['self', 'parent']
    assert_valid(admin, 'template', version)


def _vapp(**changes):
    return row(
        **{'id': 7, 'name': 'web', 'state': 'NOT_DEPLOYED', 'enterprise_id': 1}
        | {'lock_task': None, **changes}
    )


def test_a_writer_sees_an_appliances_allowed_actions():
    doc = render_vapp(_vapp(), urls(), caller('user'), 2)
    allowed = [
        (rel, f'/virtualappliances/7/{rel}')
        for rel, action in VAPP_ACTIONS.items()
        if 'NOT_DEPLOYED' in action.allowed
    ]
    assert allowed
    assert rels(doc) == [
        ('self', '/virtualappliances/7'),
        ('edit', '/virtualappliances/7'),
        ('parent', '/enterprises/1/virtualappliances'),
        ('enterprise', '/enterprises/1'),
        ('virtualmachines', '/virtualappliances/7/virtualmachines'),
        ('tasks', '/virtualappliances/7/tasks'),
        *allowed,
    ]
    assert doc['links'][-1]['type'] == 'application/vnd.abiq.task+json'
    assert_valid(doc, 'virtualappliance')


@pytest.mark.parametrize('version', VERSIONS)
def test_a_viewer_sees_an_appliance_without_edit_or_actions(version):
    doc = render_vapp(_vapp(), urls(), caller('viewer'), version)
    assert [rel for rel, _ in rels(doc)] == [
        'self',
        'parent',
        'enterprise',
        'virtualmachines',
        'tasks',
    ]
    assert_valid(doc, 'virtualappliance', version)


def _vm(**changes):
    fields = {
        'id': 5,
        'name': 'vm',
        'hostname': 'vm',
        'cpu': 1,
        'ram': 512,
        'disk': 10,
        'ip': None,
        'nameservers': '["10.0.0.1"]',
        'state': 'NOT_ALLOCATED',
        'lock_task': None,
        'virtualappliance_id': 7,
        'template_id': 6,
    }
    return row(**{**fields, **changes})


def test_a_writer_may_edit_a_machine_and_start_its_allowed_actions():
    doc = render_vm(_vm(), urls(), caller('user'), 2)
    allowed = [
        (rel, f'/virtualmachines/5/{rel}')
        for rel, action in VM_ACTIONS.items()
        if 'NOT_ALLOCATED' in action.allowed
    ]
    assert allowed
    assert rels(doc) == [
        ('self', '/virtualmachines/5'),
        ('edit', '/virtualmachines/5'),
        ('parent', '/virtualappliances/7/virtualmachines'),
        ('virtualappliance', '/virtualappliances/7'),
        ('template', '/templates/6'),
        ('tasks', '/virtualmachines/5/tasks'),
        *allowed,
    ]
    assert doc['nameservers'] == ['10.0.0.1']
    assert doc['state'] == 'NOT_ALLOCATED'
    assert_valid(doc, 'virtualmachine')


@pytest.mark.parametrize('version', VERSIONS)
def test_a_locked_machine_offers_no_edit_and_no_action(version):
    doc = render_vm(_vm(lock_task=TASK_ID), urls(), caller('user'), version)
    assert [rel for rel, _ in rels(doc)] == [
        'self',
        'parent',
        'virtualappliance',
        'template',
        'tasks',
    ]
    assert doc['state'] == 'LOCKED'
    assert_valid(doc, 'virtualmachine', version)


def test_a_running_task_in_v2_links_its_target_user_and_cancel():
    doc = render_task(task(), [job()], urls('task'), caller('user'), 2)
    assert rels(doc) == [
        ('self', TASK),
        ('parent', '/tasks'),
        ('target', '/virtualmachines/5'),
        ('user', '/users/2'),
        ('cancel', f'{TASK}/cancel'),
    ]
    assert (doc['cancellable'], doc['retryable']) == (True, False)
    assert doc['jobs'][0]['id'] == '0'
    assert_valid(doc, 'task', 2)


def test_a_running_task_in_v1_has_neither_user_nor_v2_fields():
    doc = render_task(task(), [job()], urls('task', version=1), caller('user'), 1)
    assert rels(doc) == [
        ('self', TASK),
        ('parent', '/tasks'),
        ('target', '/virtualmachines/5'),
        ('cancel', f'{TASK}/cancel'),
    ]
    assert 'jobs' not in doc
    assert 'error' not in doc
    assert_valid(doc, 'task', 1)


@pytest.mark.parametrize('version', VERSIONS)
def test_a_viewer_may_not_cancel_a_task(version):
    doc = render_task(
        task(), [], urls('task', version=version), caller('viewer'), version
    )
    assert 'cancel' not in [rel for rel, _ in rels(doc)]
    assert_valid(doc, 'task', version)


def test_a_failed_task_is_retryable_in_v2_and_an_error_in_v1():
    errors = orjson.dumps(
        [{'code': 'VM-9', 'message': 'no room', 'causes': []}]
    ).decode()
    failed = task(status='failed', errors=errors, finished_at=WHEN)
    v2 = render_task(failed, [job(status='failed')], urls('task'), caller('user'), 2)
    assert [rel for rel, _ in rels(v2)] == ['self', 'parent', 'target', 'user', 'retry']
    assert_valid(v2, 'task', 2)
    v1 = render_task(failed, [], urls('task', version=1), caller('user'), 1)
    assert v1['error'] == {'code': 'VM-9', 'message': 'no room'}
    assert [rel for rel, _ in rels(v1)] == ['self', 'parent', 'target']
    assert_valid(v1, 'task', 1)


def test_a_finished_task_links_its_result_in_v2():
    done = task(status='finished', result_kind='virtualmachine', result_id='5')
    doc = render_task(done, [job(status='finished')], urls('task'), caller('user'), 2)
    assert rels(doc)[-1] == ('result', '/virtualmachines/5')
    assert result_href(done, urls()) == 'http://localhost/api/virtualmachines/5'
    assert (
        result_href(task(result_kind='virtualmachine', result_id='5'), urls()) is None
    )
    assert_valid(doc, 'task', 2)


def test_an_external_task_is_editable_by_its_creator_in_v2():
    external = task(external=True, target_kind=None, target_id=None)
    doc = render_task(external, [], urls('task'), caller('user', user_id=2), 2)
    assert [rel for rel, _ in rels(doc)] == ['self', 'parent', 'user', 'cancel', 'edit']
    other = render_task(external, [], urls('task'), caller('user', user_id=8), 2)
    assert 'edit' not in [rel for rel, _ in rels(other)]


def test_a_task_names_no_target_of_a_kind_tasks_cannot_target():
    doc = render_task(task(target_kind='token', target_id='4'), [], urls(), caller(), 2)
    assert 'target' not in [rel for rel, _ in rels(doc)]


def test_links_carry_the_negotiated_format():
    doc = render_task(task(), [], urls('task', fmt='xml'), caller(), 2)
    assert doc['links'][0]['type'] == 'application/vnd.abiq.task+xml'
