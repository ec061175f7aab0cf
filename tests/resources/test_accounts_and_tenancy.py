"""Enterprises, users, tokens, Basic and Bearer authentication, and tenancy."""

from __future__ import annotations

import pytest

from abiq.db.models import Token
from abiq.db.models import User
from tests.conftest import PASSWORD
from tests.support import basic

ENTERPRISE = 'application/vnd.abiq.enterprise+json'
USER = 'application/vnd.abiq.user+json'
TOKEN = 'application/vnd.abiq.token+json'
TASK = 'application/vnd.abiq.task+json'
CHALLENGE = 'Basic realm="abiq", Bearer realm="abiq"'


def _me(client):
    return client.get(client.get('/', status=200).link('currentuser'), status=200)


def _bearer(client, secret):
    return client.as_user(f'Bearer {secret}')


@pytest.mark.parametrize(
    'header',
    [
        None,
        basic('alice', 'wrong'),
        basic('nobody', PASSWORD),
        'Basic not-base64!',
        'Bearer abiq_unknown',
        'Digest username="alice"',
    ],
)
def test_bad_credentials_are_401_with_a_challenge(api, header):
    answer = api.as_user(header).get('/', status=401)
    assert answer.codes == ['401-UNAUTHORIZED']
    assert answer.headers['WWW-Authenticate'] == CHALLENGE


def test_enterprises_link_only_for_administrators(as_user, world):
    assert as_user('admin').get('/', status=200).has('enterprises')
    for name in ('alice', 'vera', 'bob'):
        root = as_user(name).get('/', status=200)
        assert not root.has('enterprises')
        assert root.has('currentuser')


def test_current_user_and_its_enterprise(api, world):
    me = _me(api)
    assert (me.doc['name'], me.doc['role']) == ('alice', 'user')
    assert 'password' not in me.doc and 'passwordHash' not in me.doc
    enterprise = api.get(me.link('enterprise'), status=200)
    assert enterprise.doc['name'] == 'acme'
    users = api.get(me.link('parent'), status=200)
    names = {user['name'] for user in users.doc['collection']}
    assert names == {'alice', 'vera'}
    assert not users.has('create')  # only administrators create users


def test_changing_your_password_takes_effect_at_once(api, as_user, world):
    me = _me(api)
    api.put(me.link('edit'), {'password': 'n3w-secret'}, content_type=USER, status=200)
    # the old password was remembered by the Basic cache: it is forgotten
    api.get('/', status=401)
    renamed = api.as_user(basic('alice', 'n3w-secret'))
    assert _me(renamed).doc['name'] == 'alice'
    stored = User.get(User.name == 'alice').password_hash
    assert stored.startswith('scrypt$') and 'n3w-secret' not in stored


def test_users_cannot_change_roles_or_other_users(api, as_user, world):
    me = _me(api)
    answer = api.put(me.link('edit'), {'role': 'admin'}, content_type=USER, status=403)
    assert answer.codes == ['403-FORBIDDEN']
    vera = as_user('vera')
    alice_url = me.link('self')
    vera.put(alice_url, {'email': 'x@example.com'}, content_type=USER, status=403)
    # another enterprise's user does not exist for bob
    as_user('bob').get(alice_url, status=404)
    as_user('bob').put(alice_url, {'email': 'x@y.z'}, content_type=USER, status=404)


def test_administrators_manage_enterprises_and_users(as_user, world):
    admin = as_user('admin')
    enterprises = admin.get(admin.get('/').link('enterprises'), status=200)
    created = admin.post(
        enterprises.link('create'),
        {'name': 'initech'},
        content_type=ENTERPRISE,
        status=201,
    )
    assert created.headers['Location'] == created.link('self')
    duplicate = admin.post(
        enterprises.link('create'),
        {'name': 'initech'},
        content_type=ENTERPRISE,
        status=409,
    )
    assert duplicate.codes == ['ENTERPRISE-1']
    users = admin.get(created.link('users'), status=200)
    peter = admin.post(
        users.link('create'),
        {'name': 'peter', 'role': 'viewer', 'password': 'pass-word'},
        content_type=USER,
        status=201,
    )
    again = admin.post(
        users.link('create'),
        {'name': 'peter', 'role': 'user', 'password': 'pass-word'},
        content_type=USER,
        status=409,
    )
    assert again.codes == ['USER-1']
    assert _me(admin.as_user(basic('peter', 'pass-word'))).doc['role'] == 'viewer'
    busy = admin.delete(created.link('self'), status=409)
    assert busy.codes == ['ENTERPRISE-2']
    admin.delete(peter.link('self'), status=204)
    admin.delete(created.link('self'), status=204)
    admin.get(created.link('self'), status=404)


def test_users_read_but_do_not_change_enterprises(api, as_user, world):
    enterprise_url = _me(api).link('enterprise')
    api.put(enterprise_url, {'name': 'acme2'}, content_type=ENTERPRISE, status=403)
    api.delete(enterprise_url, status=403)
    other = _me(as_user('bob')).link('enterprise')
    api.get(other, status=404)
    api.delete(other, status=404)


def test_token_secret_is_shown_once_and_stored_hashed(api, world):
    tokens_url = _me(api).link('tokens')
    tokens = api.get(tokens_url, status=200)
    created = api.post(
        tokens.link('create'), {'name': 'ci'}, content_type=TOKEN, status=201
    )
    secret = created.doc['secret']
    assert secret and created.headers['Location'] == created.link('self')
    again = api.get(created.link('self'), status=200)
    assert 'secret' not in again.doc
    listed = api.get(tokens_url, status=200)
    assert [item.get('secret') for item in listed.doc['collection']] == [None]
    stored = Token.get(Token.name == 'ci').secret_hash
    assert stored != secret and secret not in stored and len(stored) == 64

    bearer = _bearer(api, secret)
    assert _me(bearer).doc['name'] == 'alice'
    bearer.delete(created.link('self'), status=204)
    answer = bearer.get('/', status=401)
    assert answer.headers['WWW-Authenticate'] == CHALLENGE


def test_expired_token_is_401(api, world):
    tokens = api.get(_me(api).link('tokens'), status=200)
    created = api.post(
        tokens.link('create'),
        {'name': 'soon', 'expiresAt': '2099-01-01T00:00:00Z'},
        content_type=TOKEN,
        status=201,
    )
    past = api.post(
        tokens.link('create'),
        {'name': 'past', 'expiresAt': '2001-01-01T00:00:00Z'},
        content_type=TOKEN,
        status=400,
    )
    assert past.codes == ['400-BAD-REQUEST']
    bearer = _bearer(api, created.doc['secret'])
    bearer.get('/', status=200)
    Token.update(expires_at=Token.created_at).where(Token.name == 'soon').execute()
    bearer.get('/', status=401)


def test_tokens_are_private_to_their_user(api, as_user, world):
    tokens = api.get(_me(api).link('tokens'), status=200)
    created = api.post(
        tokens.link('create'), {'name': 'mine'}, content_type=TOKEN, status=201
    )
    bob = as_user('bob')
    bob.get(created.link('self'), status=404)
    bob.delete(created.link('self'), status=404)
    bob.get(_me(api).link('tokens'), status=404)
    # tokens are private even inside the enterprise: not even listed
    vera = as_user('vera')
    vera.get(_me(api).link('tokens'), status=404)
    vera.post(tokens.link('create'), {'name': 'x'}, content_type=TOKEN, status=404)
    # an administrator sees them, but creates tokens only for itself
    as_user('admin').get(_me(api).link('tokens'), status=200)
    as_user('admin').post(
        tokens.link('create'), {'name': 'x'}, content_type=TOKEN, status=403
    )
    _bearer(api, created.doc['secret']).get('/', status=200)


def test_tenancy_on_every_task_route(api, as_user, world):
    tasks = api.get(api.get('/').link('tasks'), status=200)
    task = api.post(
        tasks.link('create'),
        {'type': 'BACKUP', 'description': 'nightly'},
        content_type=TASK,
        status=201,
    )
    url = task.link('self')
    bob = as_user('bob')
    bob.get(url, status=404)
    bob.put(task.link('edit'), {'progress': 50}, content_type=TASK, status=404)
    bob.post(task.link('cancel'), status=404)
    bob.delete(url, status=404)
    bob.request('PATCH', url, status=404)
    bob_tasks = bob.get(bob.get('/').link('tasks'), status=200)
    assert bob_tasks.doc['totalSize'] == 0

    vera = as_user('vera')
    seen = vera.get(url, status=200)
    assert not seen.has('edit') and not seen.has('cancel')
    vera.post(tasks.link('create'), {'type': 'X'}, content_type=TASK, status=403)
    vera.put(task.link('edit'), {'progress': 5}, content_type=TASK, status=403)
    vera.post(task.link('cancel'), status=403)
    vera.delete(url, status=403)

    admin_view = as_user('admin').get(url, status=200)
    assert admin_view.doc['id'] == task.doc['id']
    assert api.get(url, status=200).doc['status'] == 'pending'  # nothing changed
