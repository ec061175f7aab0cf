"""Validators, conditional requests and cache directives (API.md section 10):
ETags and 304s on every representation, If-Match / If-Unmodified-Since on
every write, Cache-Control, and a real RFC 9111 private cache in front."""

from __future__ import annotations

import datetime as dt
import email.utils

import orjson
import pytest

from abiq.db.models import Task
from tests.conftest import PASSWORD
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.engine_support import eventually
from tests.engine_support import running_workers
from tests.support import Api
from tests.support import basic

JSON2 = 'application/vnd.abiq.{}+json; version=2'
XML1 = 'application/vnd.abiq.{}+xml; version=1'
SLEEP = JSON2.format('sleep')
STALE = '"0123456789abcdef01234567.json2"'


@pytest.fixture
def scene(app, world, api):
    """A template, appliance ``shop`` with machine ``web``, a pending SLEEP
    task (admin), an external task and a token (alice)."""
    admin = api.as_user(basic('admin', PASSWORD))
    template = make_template(admin)
    shop = make_vapp(api, template.link('self'), ['web'], vapp='shop')
    web = api.get(shop.link('virtualmachines')).doc['collection'][0]
    sleep = admin.post(
        admin.get('/').link('diagnostics'), {'jobs': 1}, content_type=SLEEP
    )
    external = api.post(
        api.get('/').link('tasks'),
        {'type': 'BACKUP'},
        content_type=JSON2.format('task'),
        status=201,
    )
    me = api.get(api.get('/').link('currentuser'))
    token = api.post(
        me.link('tokens'), {'name': 'ci'}, content_type=JSON2.format('token')
    )
    return {
        'admin': admin,
        'template': template.link('self'),
        'shop': shop.link('self'),
        'web': next(lk['href'] for lk in web['links'] if lk['rel'] == 'self'),
        'sleep': sleep.link('self'),
        'external': external.link('self'),
        'token': token.link('self'),
        'me': me.link('self'),
    }


def _conditional_get(api: Api, href: str, accept: str | None = None) -> None:
    first = api.get(href, accept=accept)
    assert first.status in (200, 303)
    etag = first.headers['ETag']
    assert etag.startswith('"') and not etag.startswith('W/')
    assert 'private' in first.headers['Cache-Control']
    for method in ('GET', 'HEAD'):
        again = api.request(
            method, href, accept=accept, headers={'If-None-Match': etag}, status=304
        )
        assert again.body == b''
        assert again.headers['ETag'] == etag
        assert again.headers['Vary'] == first.headers['Vary']
        assert again.headers['Cache-Control'] == first.headers['Cache-Control']
    other = api.get(href, accept=accept, headers={'If-None-Match': STALE})
    assert other.status == first.status and other.body == first.body


def test_every_representation_has_an_etag_and_answers_304(api, scene):
    root = api.get('/')
    for href in (
        root.link('self'),
        root.link('virtualappliances'),  # a collection page
        root.link('templates') + '?limit=1',
        scene['shop'],  # an entity
        scene['web'],
        scene['me'],
        scene['token'],
        scene['external'],  # a task
    ):
        _conditional_get(api, href)
        _conditional_get(api, href, accept='application/xml')


def test_the_etag_changes_whenever_the_body_would(api, scene):
    shop = scene['shop']
    tags = {
        api.get(shop, accept=accept).headers['ETag']
        for accept in (
            None,
            XML1.format('virtualappliance'),
            JSON2.format('virtualappliance').replace('2', '1'),
            XML1.format('virtualappliance').replace('1', '2'),
        )
    }
    assert len(tags) == 4  # one per format and version
    before = api.get(shop).headers['ETag']
    api.put(shop, {'name': 'store'}, content_type=JSON2.format('virtualappliance'))
    assert api.get(shop).headers['ETag'] != before
    # the root a viewer reads is not the one its user reads
    vera = api.as_user(basic('vera', PASSWORD))
    assert vera.get('/').headers['ETag'] != api.get('/').headers['ETag']


def _writes(scene):
    """(who, method, the resource read, the request's target, body type, body)."""
    admin, tasks = scene['admin'], 'alice'
    vapp, vm = JSON2.format('virtualappliance'), JSON2.format('virtualmachine')
    return [
        (admin, 'PUT', scene['template'], None, JSON2.format('template'), {'cpu': 4}),
        (admin, 'DELETE', scene['template'], None, None, None),
        (tasks, 'PUT', scene['shop'], None, vapp, {'name': 'x'}),
        (tasks, 'DELETE', scene['shop'], None, None, None),
        (tasks, 'POST', scene['shop'], 'deploy', None, None),
        (tasks, 'PUT', scene['web'], None, vm, {'cpu': 2}),
        (tasks, 'DELETE', scene['web'], None, None, None),
        (tasks, 'POST', scene['web'], 'deploy', None, None),
        (tasks, 'PUT', scene['me'], None, JSON2.format('user'), {'email': 'a@b.c'}),
        (tasks, 'DELETE', scene['token'], None, None, None),
        (tasks, 'PUT', scene['external'], None, JSON2.format('task'), {'progress': 5}),
        (tasks, 'DELETE', scene['external'], None, None, None),
        (tasks, 'POST', scene['external'], 'cancel', None, None),
        (admin, 'POST', scene['sleep'], 'cancel', None, None),
        (admin, 'PATCH', scene['sleep'], None, None, None),
    ]


def test_a_stale_if_match_is_412_on_every_write_and_changes_nothing(api, scene):
    for who, method, href, rel, body_type, body in _writes(scene):
        client = api if who == 'alice' else who
        seen = client.get(href)
        target = seen.link(rel) if rel else href
        answer = client.request(
            method,
            target,
            body=body,
            content_type=body_type,
            headers={'If-Match': STALE},
            status=412,
        )
        assert answer.codes == ['412-PRECONDITION-FAILED'], (method, target)
        after = client.get(href)
        assert after.headers['ETag'] == seen.headers['ETag'], (method, target)
    assert Task.select().count() == 2  # no action started


def test_the_tag_of_any_variant_read_matches(api, scene):
    shop, vapp = scene['shop'], JSON2.format('virtualappliance')
    for accept in (XML1.format('virtualappliance'), None):
        etag = api.get(shop, accept=accept).headers['ETag']
        # written in JSON version 2, checked against the variant the tag names
        done = api.put(shop, {'name': f'shop-{len(etag)}'}, content_type=vapp)
        assert done.status == 200
        stale = api.put(
            shop,
            {'name': 'late'},
            content_type=vapp,
            headers={'If-Match': etag},
            status=412,
        )
        assert stale.codes == ['412-PRECONDITION-FAILED']
        fresh = api.get(shop, accept=accept).headers['ETag']
        api.put(
            shop,
            {'name': 'again'},
            content_type=vapp,
            headers={'If-Match': fresh},
            status=200,
        )
        assert api.get(shop).doc['name'] == 'again'
    # a weak tag never matches, nor does a header holding no tag at all
    for refused in ('W/' + api.get(shop).headers['ETag'], ','):
        api.put(
            shop,
            {'name': 'no'},
            content_type=vapp,
            headers={'If-Match': refused},
            status=412,
        )
    api.put(
        shop, {'name': 'any'}, content_type=vapp, headers={'If-Match': '*'}, status=200
    )


def test_an_action_with_the_current_tag_starts(api, scene):
    web = api.get(scene['web'])
    answer = api.post(
        web.link('deploy'), headers={'If-Match': web.headers['ETag']}, status=202
    )
    assert answer.doc['type'] == 'DEPLOY'
    # the machine changed (it is locked): the same tag is stale now
    undeploy = api.post(
        web.link('deploy'), headers={'If-Match': web.headers['ETag']}, status=412
    )
    assert undeploy.codes == ['412-PRECONDITION-FAILED']


def test_if_unmodified_since_guards_a_task(api, scene):
    task = api.get(scene['external'])
    changed = email.utils.parsedate_to_datetime(task.headers['Last-Modified'])
    before = email.utils.format_datetime(changed - dt.timedelta(seconds=1), usegmt=True)
    refused = api.post(
        task.link('cancel'), headers={'If-Unmodified-Since': before}, status=412
    )
    assert refused.codes == ['412-PRECONDITION-FAILED']
    assert api.get(scene['external']).doc['status'] == 'pending'
    since = task.headers['Last-Modified']
    done = api.post(task.link('cancel'), headers={'If-Unmodified-Since': since})
    assert done.doc['status'] == 'cancelled'


def test_an_answer_to_put_carries_no_validator(api, scene):
    # NOTE: RFC 9110 9.3.4: the answer is the merged resource, not the body sent
    for href, name, body in (
        (scene['external'], 'task', {'progress': 50}),
        (scene['shop'], 'virtualappliance', {'name': 'x'}),
    ):
        answer = api.put(href, body, content_type=JSON2.format(name), status=200)
        assert 'ETag' not in answer.headers and 'Last-Modified' not in answer.headers
        assert 'ETag' in api.get(href).headers


def test_cache_control_by_state(app, api, scene):
    admin = scene['admin']
    assert api.get('/').headers['Cache-Control'] == 'private, no-cache'
    assert api.get('/nowhere').headers['Cache-Control'] == 'private, no-cache'
    gone = api.delete(scene['token'], status=204)
    assert gone.headers['Cache-Control'] == 'private, no-cache'
    diagnostics = admin.get('/').link('diagnostics')
    body = {'jobs': 1, 'failJob': 1}
    failed = admin.post(diagnostics, body, content_type=SLEEP).link('self')
    ok = admin.post(diagnostics, {'jobs': 1}, content_type=SLEEP).link('self')
    admin.post(admin.get(scene['sleep']).link('cancel'))
    with running_workers(app.services.engine):
        for href in (failed, ok):
            eventually(lambda href=href: admin.get(href).doc['status'] != 'pending')
            eventually(lambda href=href: admin.get(href).doc['status'] != 'running')
    for href, status, directives in (
        (failed, 'failed', 'private, no-cache'),
        (scene['sleep'], 'cancelled', 'private, no-cache'),
        (ok, 'finished', 'private'),
    ):
        answer = admin.get(href)
        assert answer.doc['status'] == status
        assert answer.headers['Cache-Control'] == directives, status
        assert 'Expires' in answer.headers
        # a finished task is answered from memory the second time: the same
        assert admin.get(href).headers['Cache-Control'] == directives


def test_a_private_cache_revalidates_a_retried_task(app, api, scene):
    hishel = pytest.importorskip('hishel')
    import httpx
    from hishel.httpx import CacheTransport

    admin = scene['admin']
    diagnostics = admin.get('/').link('diagnostics')
    body = {'jobs': 1, 'failJob': 1}
    href = admin.post(diagnostics, body, content_type=SLEEP).link('self')
    with running_workers(app.services.engine):
        eventually(lambda: admin.get(href).doc['status'] == 'failed')
    storage = hishel.SqliteStorage(database_path=':memory:')
    cached = httpx.Client(
        transport=CacheTransport(
            httpx.WSGITransport(app=app),
            storage=storage,
            rfc=hishel.CacheOptions(shared=False),
        ),
        headers={
            'Authorization': basic('admin', PASSWORD),
            'Accept': JSON2.format('task'),
        },
    )
    assert cached.get(href).json()['status'] == 'failed'
    again = cached.get(href)
    assert again.json()['status'] == 'failed'
    # kept, but asked again (no-cache): the server said 304
    assert again.extensions['caching']['revalidated']
    # someone else retries it (not through this cache)
    admin.post(admin.get(href).link('retry'), status=202)
    seen = cached.get(href)
    assert not seen.extensions['caching']['from_cache']
    assert seen.json()['status'] in ('pending', 'running')
    assert seen.json()['attempt'] == 2


def test_the_openapi_document_declares_validators_and_preconditions(api):
    paths = orjson.loads(api.get(api.get('/').link('service-desc')).body)['paths']
    root = paths['/']['get']
    assert 'ETag' in root['responses']['304']['headers']
    assert 'ETag' in root['responses']['200']['headers']
    assert [p['name'] for p in root['parameters']] == ['If-None-Match']
    for path, method in (
        ('/virtualappliances/{vapp_id}', 'put'),
        ('/virtualmachines/{vm_id}/deploy', 'post'),
        ('/tasks/{task_id}/cancel', 'post'),
        ('/tokens/{token_id}', 'delete'),
    ):
        operation = paths[path][method]
        names = [p['name'] for p in operation.get('parameters', [])]
        assert {'If-Match', 'If-Unmodified-Since'} <= set(names), path
        assert '412' in operation['responses'], path
