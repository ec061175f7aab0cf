"""Content negotiation as a client sees it (API.md section 2, with 3 and 6).

Only the root URI is known; everything else is reached through links. The
client of :mod:`tests.support` validates every vendor-typed answer against its
schema and checks ``describedby`` and ``Vary: Accept``.
"""

from __future__ import annotations

import re

import pytest

from abiq.config import parse_deprecations
from abiq.db.domain import VirtualMachine
from tests.conftest import make_app
from tests.domain_support import link_of
from tests.domain_support import machines_of
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.domain_support import wait_for_end
from tests.engine_support import running_workers
from tests.factories import make_tasks
from tests.support import SCHEMA_TYPES
from tests.support import Api
from tests.support import basic

VND = 'application/vnd.abiq'
MISSING_TASK = '00000000-0000-4000-8000-000000000000'
TASK_JSON = {'type': 'BACKUP', 'description': 'x'}
TASK_XML = '<task><type>BACKUP</type><description>x</description></task>'
TASK_XML_V1 = '<task><type>BACKUP</type></task>'


def vnd(name: str, fmt: str | None = None, version: int | str | None = None) -> str:
    """Return ``application/vnd.abiq.{name}[+fmt][; version=N]``."""
    media = f'{VND}.{name}' + (f'+{fmt}' if fmt else '')
    return media if version is None else f'{media}; version={version}'


def full_type(name: str, fmt: str, version: int) -> str:
    return f'{VND}.{name}+{fmt}; version={version}'


def assert_negotiated(answer, name: str, fmt: str, version: int) -> None:
    """The answer is ``name`` in ``fmt`` and ``version``, typed and varied."""
    assert answer.media == (name, fmt, version), (answer.status, answer.body[:500])
    assert answer.headers['Content-Type'] == full_type(name, fmt, version)
    vary = [part.strip().lower() for part in answer.headers['Vary'].split(',')]
    assert 'accept' in vary


def assert_406(answer, fmt: str = 'json', version: int = 2) -> str:
    """The answer is a 406 error document; return its message."""
    assert answer.status == 406, (answer.status, answer.body[:500])
    assert_negotiated(answer, 'errors', fmt, version)
    assert answer.codes == ['406-NOT-ACCEPTABLE']
    return answer.doc['collection'][0]['message']


def lists_versions(message: str) -> bool:
    return bool(re.search(r'\b1\b', message) and re.search(r'\b2\b', message))


def root_of(api: Api, accept: str | None = None):
    return api.get('/', accept=accept, status=200)


def first_task_href(api: Api) -> str:
    tasks = api.get(root_of(api).link('tasks'), status=200)
    item = tasks.doc['collection'][0]
    return link_of(item, 'self')


def missing_task_href(api: Api) -> str:
    # NOTE: the only built URI: a bogus id under the tasks link, for a 404.
    return root_of(api).link('tasks').rstrip('/') + '/' + MISSING_TASK


def create_href(api: Api) -> str:
    return api.get(root_of(api).link('tasks'), status=200).link('create')


def task_count(api: Api) -> int:
    return api.get(root_of(api).link('tasks'), status=200).doc['totalSize']


# -- the Accept table ------------------------------------------------------


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        (vnd('api', 'json', 1), 'json', 1),
        (vnd('api', 'json', 2), 'json', 2),
        (vnd('api', 'xml', 1), 'xml', 1),
        (vnd('api', 'xml', 2), 'xml', 2),
        (vnd('api', 'json'), 'json', 2),
        (vnd('api', 'xml'), 'xml', 2),
        (vnd('api'), 'json', 2),
        (vnd('api', None, 1), 'json', 1),
        ('application/json', 'json', 2),
        ('application/*+json', 'json', 2),
        ('application/xml', 'xml', 2),
        ('text/xml', 'xml', 2),
        ('application/*+xml', 'xml', 2),
        (None, 'json', 2),
        ('', 'json', 2),
        ('*/*', 'json', 2),
        ('application/*', 'json', 2),
        (f'{VND}.api+xml; version="1"', 'xml', 1),
        ('Application/VND.abiq.API+XML; Version=1', 'xml', 1),
    ],
)
def test_accept_table_on_the_root(api, world, accept, fmt, version):
    answer = api.get('/', accept=accept, status=200)
    assert_negotiated(answer, 'api', fmt, version)
    assert answer.doc['apiVersions'] == [1, 2]


@pytest.mark.parametrize('version', ['0', '3', '9', 'x'])
@pytest.mark.parametrize('fmt', ['json', 'xml', None])
def test_unsupported_version_is_406_listing_the_versions(api, world, fmt, version):
    answer = api.get('/', accept=vnd('api', fmt, version))
    message = assert_406(answer, fmt or 'json', 2)
    assert lists_versions(message), message


@pytest.mark.parametrize(
    'accept',
    [
        vnd('tasks', 'json', 2),
        vnd('tasks', 'xml', 1),
        vnd('errors', 'json'),
        vnd('user'),
        'text/plain',
        'image/png',
        'application/x-whatever',
        f'{VND}.api+yaml',
        'text/plain, image/*;q=0.5',
    ],
)
def test_nothing_acceptable_is_406_listing_what_the_root_offers(api, world, accept):
    answer = api.get('/', accept=accept)
    fmt = 'xml' if '+xml' in accept else 'json'
    version = 1 if 'version=1' in accept else 2
    message = assert_406(answer, fmt, version)
    assert f'{VND}.api+json' in message and f'{VND}.api+xml' in message, message


def test_406_comes_before_authentication(api, world):
    anonymous = api.as_user(None)
    assert_406(anonymous.get('/', accept='image/png'))
    assert anonymous.get('/', accept='application/xml').status == 401


def test_another_entity_type_is_406_on_every_resource(api, world):
    make_tasks(world.acme, world.alice, 1)
    root = root_of(api)
    cases = [
        (root.link('tasks'), 'tasks', vnd('virtualappliance', 'json')),
        (first_task_href(api), 'task', vnd('tasks', 'json')),
        (root.link('currentuser'), 'user', vnd('users', 'xml')),
        (root.link('currentuser'), 'user', vnd('api', 'json', 1)),
    ]
    for href, name, accept in cases:
        message = assert_406(
            api.get(href, accept=accept),
            'xml' if '+xml' in accept else 'json',
            1 if 'version=1' in accept else 2,
        )
        assert f'{VND}.{name}+json' in message, (href, message)
        assert f'{VND}.{name}+xml' in message, (href, message)


def test_unsupported_version_of_a_task_lists_the_versions(api, world):
    make_tasks(world.acme, world.alice, 1)
    answer = api.get(first_task_href(api), accept=vnd('task', 'xml', 5))
    message = assert_406(answer, 'xml', 2)
    assert lists_versions(message), message


# -- the task type on what a task leads to (a client following a 303) -------


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        (vnd('task', 'json', 1), 'json', 1),
        (vnd('task', 'json', 2), 'json', 2),
        (vnd('task', 'xml', 1), 'xml', 1),
        (vnd('task', 'xml', 2), 'xml', 2),
        (vnd('task', 'xml'), 'xml', 2),
        (vnd('task'), 'json', 2),
        (vnd('task', None, 1), 'json', 1),
    ],
)
def test_the_task_type_yields_each_resource_its_own_type(
    api, world, machine, accept, fmt, version
):
    vapp, vm = machine
    root = root_of(api)
    targets = [
        ('api', root.link('self')),
        ('tasks', root.link('tasks')),
        ('user', root.link('currentuser')),
        ('templates', root.link('templates')),
        ('virtualappliance', vapp.link('self')),
        ('virtualmachine', vm.link('self')),
    ]
    for name, href in targets:
        assert_negotiated(api.get(href, accept=accept, status=200), name, fmt, version)
    # only the task type stands in: another entity's type is still refused
    other = vnd('virtualmachine', fmt, version)
    message = assert_406(api.get(vapp.link('self'), accept=other), fmt, version)
    assert f'{VND}.virtualappliance+json' in message, message


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        # ties on q: the resource's own type, then the task type, then plain
        (f'{VND}.task+xml; version=1, {VND}.api+json', 'json', 2),
        (f'{VND}.task+xml, application/json', 'xml', 2),
        (f'application/json, {VND}.task+xml; version=1', 'xml', 1),
        (f'{VND}.task+xml;q=0.5, application/json', 'json', 2),
        # refusing tasks refuses nothing of the root's own type
        (f'{VND}.task+json;q=0, */*', 'json', 2),
        (f'{VND}.task+json; version=9, application/xml;q=0.1', 'xml', 2),
    ],
)
def test_the_task_type_among_other_ranges(api, world, accept, fmt, version):
    assert_negotiated(api.get('/', accept=accept, status=200), 'api', fmt, version)


def test_the_task_type_in_an_unsupported_version_is_406(api, world):
    message = assert_406(api.get('/', accept=vnd('task', 'xml', 7)), 'xml', 2)
    assert lists_versions(message), message


@pytest.mark.parametrize(('fmt', 'version'), [('json', 1), ('xml', 2)])
def test_following_the_303_with_the_task_accept_lands_on_the_result(
    api, app, world, machine, fmt, version
):
    vapp, _ = machine
    accept = vnd('task', fmt, version)
    started = api.post(vapp.link('deploy'), accept=accept, status=202)
    with running_workers(app.services.engine):
        done = wait_for_end(api, started.link('self'), accept)[-1]
    assert done.status == 303
    result = api.get(done.headers['Location'], accept=accept, status=200)
    assert_negotiated(result, 'virtualappliance', fmt, version)
    assert result.doc['state'] == 'DEPLOYED'


# -- q-values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        (f'{VND}.api+xml;q=0.9, {VND}.api+json;q=0.5', 'xml', 2),
        (f'{VND}.api+xml;q=0.5, {VND}.api+json;q=0.9', 'json', 2),
        (f'{VND}.api+json;q=0.5, {VND}.api+xml;q=0.9', 'xml', 2),
        (f'{VND}.api+json; version=1; q=0.3, {VND}.api+xml; q=0.2', 'json', 1),
        (f'{VND}.api+xml; q=0.2, {VND}.api+json; version=1; q=0.3', 'json', 1),
        (f'{VND}.api+xml ; Q=0.9 , {VND}.api+json;q=0.5', 'xml', 2),
        ('application/xml;q=0.9, application/json', 'json', 2),
        ('application/json;q=0.9, application/xml', 'xml', 2),
        ('*/*;q=0.1, text/xml', 'xml', 2),
        ('application/xml;q=0.4, */*;q=0.5', 'json', 2),
        ('image/png, application/xml;q=0.1', 'xml', 2),
        # a page only when preferred (API.md section 12): a tie is ours
        ('text/html, application/xml', 'xml', 2),
        # q=0 means "not acceptable"
        ('application/json;q=0, application/xml;q=0.1', 'xml', 2),
        (f'{VND}.api+json;q=0, {VND}.api+xml;q=0.2', 'xml', 2),
        (f'{VND}.api+json; version=2; q=0, {VND}.api+json; version=1', 'json', 1),
        (f'{VND}.api+json; version=1; q=0, {VND}.api+json', 'json', 2),
        # RFC 9110 12.5.1: the most specific range sets a type's quality, so
        # q=0 on the exact type excludes it even when a wildcard follows
        (f'{VND}.api+json;q=0, */*', 'xml', 2),
        ('application/json;q=0, */*', 'xml', 2),
        (f'{VND}.api+json;q=0, application/*;q=0.5', 'xml', 2),
        (f'{VND}.api+json; version=1; q=0, */*', 'json', 2),
        (f'{VND}.api+xml;q=0, */*', 'json', 2),
        # an unsupported version is passed over for what else is acceptable
        (f'{VND}.api+json; version=9, application/xml;q=0.1', 'xml', 2),
        (f'{VND}.api+xml; version=9, {VND}.api+json; version=1;q=0.5', 'json', 1),
        # ties on q: the more specific entry, then the one written first
        (f'application/xml, {VND}.api+json; version=1', 'json', 1),
        ('*/*, application/xml', 'xml', 2),
        ('application/*, text/xml', 'xml', 2),
        ('application/*+xml, application/json', 'json', 2),
        (f'{VND}.api+xml; version=1, {VND}.api+json; version=2', 'xml', 1),
        (f'{VND}.api+json; version=1, {VND}.api+xml; version=2', 'json', 1),
        ('application/xml, application/json', 'xml', 2),
        ('application/json, application/xml', 'json', 2),
        (f'{VND}.api+xml;q=0.5, {VND}.api+json;q=0.5', 'xml', 2),
    ],
)
def test_q_values(api, world, accept, fmt, version):
    answer = api.get('/', accept=accept, status=200)
    assert_negotiated(answer, 'api', fmt, version)


@pytest.mark.parametrize(
    'accept',
    [
        f'{VND}.api+json;q=0',
        'application/json;q=0, application/xml;q=0',
        '*/*;q=0',
        f'{VND}.api+json;q=0, {VND}.api+xml;q=0.0',
        f'{VND}.api+json;q=0, {VND}.api+xml;q=0, */*',
    ],
)
def test_everything_refused_with_q_zero_is_406(api, world, accept):
    message = assert_406(api.get('/', accept=accept))
    assert f'{VND}.api+json' in message and f'{VND}.api+xml' in message, message


# -- Content-Type, Vary and link types on several resources -----------------


ACCEPTS = [
    ('vendor', 'json', 1),
    ('vendor', 'json', 2),
    ('vendor', 'xml', 1),
    ('vendor', 'xml', 2),
    ('vendor', 'xml', None),
    ('bare', 'json', 1),
    ('plain', 'json', None),
    ('plain', 'xml', None),
    ('suffix', 'xml', None),
    ('none', 'json', None),
    ('any', 'json', None),
]


def accept_for(kind: str, name: str, fmt: str, version: int | None) -> str | None:
    return {
        'vendor': lambda: vnd(name, fmt, version),
        'bare': lambda: vnd(name, None, version),
        'plain': lambda: f'application/{fmt}',
        'suffix': lambda: f'application/*+{fmt}',
        'none': lambda: None,
        'any': lambda: '*/*',
    }[kind]()


@pytest.mark.parametrize(('kind', 'fmt', 'version'), ACCEPTS)
def test_every_resource_answers_its_full_vendor_type(api, world, kind, fmt, version):
    make_tasks(world.acme, world.alice, 3)
    expected = version or 2
    root = root_of(api)
    targets = [
        ('api', root.link('self')),
        ('tasks', root.link('tasks')),
        ('task', first_task_href(api)),
        ('user', root.link('currentuser')),
        ('enterprise', root.link('enterprise')),
        ('tasks', root.link('pending')),
        ('templates', root.link('templates')),
        ('virtualappliances', root.link('virtualappliances')),
    ]
    for name, href in targets:
        answer = api.get(href, accept=accept_for(kind, name, fmt, version))
        assert answer.status == 200, (href, answer.status, answer.body[:500])
        assert_negotiated(answer, name, fmt, expected)
        for link in answer.doc['links']:
            if link['rel'] == 'service-desc':
                # not one of our media types: the OpenAPI document is JSON only
                assert link['type'] == 'application/vnd.oai.openapi+json;version=3.1'
            elif link['rel'] == 'describedby':
                assert link['type'] == SCHEMA_TYPES[fmt]
            elif link.get('type'):
                assert re.fullmatch(rf'{re.escape(VND)}\.[a-z]+\+{fmt}', link['type'])


def test_collection_items_follow_the_collection_format(api, world):
    make_tasks(world.acme, world.alice, 2)
    tasks = api.get(root_of(api).link('tasks'), accept=vnd('tasks', 'xml', 1))
    assert_negotiated(tasks, 'tasks', 'xml', 1)
    assert tasks.doc['totalSize'] == 2
    for item in tasks.doc['collection']:
        # v1 tasks carry no v2-only fields
        assert 'progress' not in item and 'jobs' not in item
        types = [link['type'] for link in item['links'] if link.get('type')]
        assert types and all(t.endswith('+xml') for t in types)


# -- error documents --------------------------------------------------------


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        (vnd('task', 'xml', 1), 'xml', 1),
        (vnd('task', 'xml', 2), 'xml', 2),
        (vnd('task', 'xml'), 'xml', 2),
        (vnd('task', 'json', 1), 'json', 1),
        (vnd('task', 'json'), 'json', 2),
        ('application/xml', 'xml', 2),
        ('text/xml', 'xml', 2),
        ('application/*+xml', 'xml', 2),
        ('application/json', 'json', 2),
        (None, 'json', 2),
        ('*/*', 'json', 2),
        ('application/*', 'json', 2),
        (f'{vnd("task", "xml", 1)}; q=0.8, application/json; q=0.4', 'xml', 1),
        (f'{vnd("task", "xml", 1)}; q=0.4, application/json; q=0.8', 'json', 2),
        (f'{vnd("task", "xml", 1)}, */*', 'xml', 1),
        (f'*/*, {vnd("task", "xml", 1)}; q=0.5', 'xml', 1),
        # ties go to JSON, in the JSON entry's version
        ('application/xml, application/json', 'json', 2),
        (f'application/xml, {vnd("task", "json", 1)}', 'json', 1),
        (f'{vnd("task", "xml", 1)}, {vnd("task", "json", 1)}', 'json', 1),
    ],
)
def test_404_error_format_follows_accept(api, world, accept, fmt, version):
    answer = api.get(missing_task_href(api), accept=accept, status=404)
    assert_negotiated(answer, 'errors', fmt, version)
    assert answer.codes == ['TASK-1']


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        ('text/plain', 'json', 2),
        ('text/plain, image/png;q=0.5', 'json', 2),
        (vnd('template', 'xml', 1), 'xml', 1),
        (vnd('template', 'json', 1), 'json', 1),
        (vnd('tasks', 'xml'), 'xml', 2),
        (vnd('api', 'xml', 7), 'xml', 2),
        (vnd('api', 'json', 7), 'json', 2),
        (f'text/plain, {vnd("users", "xml", 1)};q=0.5', 'xml', 1),
        (f'{vnd("users", "xml", 1)};q=0.5, {vnd("user", "json", 1)};q=0.5', 'json', 1),
        (f'{vnd("users", "xml", 1)};q=0.9, {vnd("user", "json", 1)};q=0.5', 'xml', 1),
    ],
)
def test_406_error_format_follows_accept(api, world, accept, fmt, version):
    assert_406(api.get('/', accept=accept), fmt, version)


def test_401_error_format_follows_accept(api, world):
    anonymous = api.as_user(None)
    answer = anonymous.get('/', accept=vnd('api', 'xml', 1), status=401)
    assert_negotiated(answer, 'errors', 'xml', 1)
    assert answer.codes == ['401-UNAUTHORIZED']
    assert 'WWW-Authenticate' in answer.headers


# -- deprecation ------------------------------------------------------------


@pytest.fixture
def deprecated(config, world):
    """Return a client (alice) of an app built with some deprecations."""

    def build(raw: str) -> Api:
        app = make_app(config, deprecated_versions=parse_deprecations(raw))
        return Api(app, app.services.codec, basic('alice'))

    return build


DEPRECATION_2026 = '@1780272000'  # 2026-06-01T00:00:00Z
SUNSET_2027 = 'Fri, 31 Dec 2027 00:00:00 GMT'


def test_deprecated_version_carries_deprecation_and_sunset(deprecated):
    client = deprecated('1=2026-06-01,2027-12-31')
    root = root_of(client)
    for fmt in ('json', 'xml'):
        for href, name in (
            (root.link('self'), 'api'),
            (root.link('tasks'), 'tasks'),
            (root.link('currentuser'), 'user'),
        ):
            v1 = client.get(href, accept=vnd(name, fmt, 1), status=200)
            assert_negotiated(v1, name, fmt, 1)
            assert v1.headers['Deprecation'] == DEPRECATION_2026
            assert v1.headers['Sunset'] == SUNSET_2027
            for accept in (vnd(name, fmt, 2), vnd(name, fmt), f'application/{fmt}'):
                v2 = client.get(href, accept=accept, status=200)
                assert v2.media[2] == 2
                assert 'Deprecation' not in v2.headers, accept
                assert 'Sunset' not in v2.headers, accept
    plain = client.get('/', status=200)
    assert 'Deprecation' not in plain.headers and 'Sunset' not in plain.headers


def test_deprecated_version_headers_on_error_documents(deprecated):
    client = deprecated('1=2026-06-01,2027-12-31')
    missing = missing_task_href(client)
    v1 = client.get(missing, accept=vnd('task', 'xml', 1), status=404)
    assert_negotiated(v1, 'errors', 'xml', 1)
    assert v1.headers['Deprecation'] == DEPRECATION_2026
    assert v1.headers['Sunset'] == SUNSET_2027
    not_acceptable = client.get('/', accept=vnd('template', 'json', 1))
    assert_406(not_acceptable, 'json', 1)
    assert not_acceptable.headers['Deprecation'] == DEPRECATION_2026
    v2 = client.get(missing, accept=vnd('task', 'xml'), status=404)
    assert 'Deprecation' not in v2.headers and 'Sunset' not in v2.headers


def test_deprecation_without_sunset(deprecated):
    client = deprecated('1=2026-06-01')
    v1 = client.get('/', accept=vnd('api', 'json', 1), status=200)
    assert v1.headers['Deprecation'] == DEPRECATION_2026
    assert 'Sunset' not in v1.headers


def test_several_deprecated_versions(deprecated):
    client = deprecated('1=2026-06-01,2027-12-31; 2=2027-01-01,2028-01-01')
    v1 = client.get('/', accept=vnd('api', 'xml', 1), status=200)
    assert (v1.headers['Deprecation'], v1.headers['Sunset']) == (
        DEPRECATION_2026,
        SUNSET_2027,
    )
    v2 = client.get('/', status=200)
    assert v2.headers['Deprecation'] == '@1798761600'  # 2027-01-01T00:00:00Z
    assert v2.headers['Sunset'] == 'Sat, 01 Jan 2028 00:00:00 GMT'


def test_no_deprecation_headers_by_default(api, world):
    v1 = api.get('/', accept=vnd('api', 'json', 1), status=200)
    assert 'Deprecation' not in v1.headers and 'Sunset' not in v1.headers


# -- request Content-Type ---------------------------------------------------


@pytest.mark.parametrize(
    ('content_type', 'body'),
    [
        (vnd('task', 'json', 2), TASK_JSON),
        (vnd('task', 'json', 1), {'type': 'BACKUP'}),
        (vnd('task', 'json'), TASK_JSON),
        (vnd('task', 'xml', 2), TASK_XML),
        (vnd('task', 'xml', 1), TASK_XML_V1),
        (vnd('task', 'xml'), TASK_XML),
        ('application/json', TASK_JSON),
        ('application/json; charset=utf-8', TASK_JSON),
        ('application/xml', TASK_XML),
    ],
)
def test_accepted_request_content_types(api, world, content_type, body):
    answer = api.post(create_href(api), body, content_type=content_type, status=201)
    assert_negotiated(answer, 'task', 'json', 2)
    assert answer.doc['type'] == 'BACKUP' and answer.doc['status'] == 'pending'
    if 'description' in body:
        assert answer.doc['description'] == 'x'
    assert answer.headers['Location'] == answer.link('self')
    assert task_count(api) == 1


@pytest.mark.parametrize(
    ('content_type', 'body'),
    [
        ('text/plain', TASK_JSON),
        (None, TASK_JSON),
        ('text/html', TASK_JSON),
        ('text/xml', TASK_XML),
        (vnd('enterprise', 'json'), TASK_JSON),
        (vnd('tasks', 'json'), TASK_JSON),
        (vnd('virtualmachine', 'xml', 1), TASK_XML_V1),
        (vnd('task', 'yaml'), TASK_JSON),
    ],
)
def test_unsupported_request_content_type_is_415(api, world, content_type, body):
    answer = api.post(create_href(api), body, content_type=content_type, status=415)
    assert_negotiated(answer, 'errors', 'json', 2)
    assert answer.codes == ['415-UNSUPPORTED-MEDIA-TYPE']
    assert task_count(api) == 0


def test_a_form_without_a_pages_csrf_token_is_refused(api, world):
    # API.md section 12: a form is a page's, and carries the caller's token;
    # one without it may be another site's, so it changes nothing.
    form = 'application/x-www-form-urlencoded'
    answer = api.post(create_href(api), 'type=BACKUP', content_type=form, status=403)
    assert (
        answer.codes == ['403-FORBIDDEN']
        and 'CSRF' in answer.doc['collection'][0]['message']
    )
    assert task_count(api) == 0


@pytest.mark.parametrize(
    ('content_type', 'body'),
    [
        (vnd('task', 'json', 9), TASK_JSON),
        (vnd('task', 'json', 0), TASK_JSON),
        (vnd('task', 'xml', 3), TASK_XML),
    ],
)
def test_unsupported_request_version_is_415(api, world, content_type, body):
    answer = api.post(create_href(api), body, content_type=content_type, status=415)
    assert answer.codes == ['415-UNSUPPORTED-MEDIA-TYPE-VERSION']
    message = answer.doc['collection'][0]['message']
    assert lists_versions(message), message
    assert task_count(api) == 0


def test_415_error_comes_in_the_accepted_format(api, world):
    answer = api.post(
        create_href(api),
        TASK_JSON,
        content_type='text/plain',
        accept=vnd('task', 'xml', 1),
        status=415,
    )
    assert_negotiated(answer, 'errors', 'xml', 1)
    assert answer.codes == ['415-UNSUPPORTED-MEDIA-TYPE']


def test_request_and_response_formats_are_independent(api, world):
    answer = api.post(
        create_href(api),
        TASK_XML_V1,
        content_type=vnd('task', 'xml', 1),
        accept=vnd('task', 'json', 2),
        status=201,
    )
    assert_negotiated(answer, 'task', 'json', 2)
    answer = api.post(
        create_href(api),
        TASK_JSON,
        content_type='application/json',
        accept=vnd('task', 'xml', 1),
        status=201,
    )
    assert_negotiated(answer, 'task', 'xml', 1)
    assert set(answer.doc) == {'links', 'id', 'type', 'status', 'expiresAt'}


# -- requests that may answer with a task -----------------------------------


@pytest.fixture
def machine(api, as_user, world):
    """An undeployed machine of alice's, in a fresh appliance."""
    template = make_template(as_user('admin'))
    vapp = make_vapp(api, template.link('self'), ['web'])
    (vm,) = machines_of(api, vapp)
    return vapp, api.get(link_of(vm, 'self'), status=200)


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        (vnd('virtualmachine', 'xml', 1), 'xml', 1),
        (vnd('virtualmachine', 'json', 1), 'json', 1),
        (vnd('virtualmachine', 'xml'), 'xml', 2),
        (vnd('task', 'xml', 1), 'xml', 1),
        (vnd('api', 'json', 1), 'json', 1),
        ('application/xml', 'xml', 2),
        (None, 'json', 2),
        (f'{vnd("virtualmachine", "json")};q=0.1, text/xml', 'xml', 2),
    ],
)
def test_vm_action_answers_the_task_as_accept_asks(
    api, world, machine, accept, fmt, version
):
    _, vm = machine
    answer = api.post(vm.link('deploy'), accept=accept, status=202)
    assert_negotiated(answer, 'task', fmt, version)
    assert answer.doc['type'] == 'DEPLOY' and answer.doc['status'] == 'pending'
    assert answer.headers['Location'] == answer.link('self')


@pytest.mark.parametrize(
    'accept',
    [vnd('virtualmachine', 'xml', 9), vnd('task', 'json', 3), 'image/png'],
)
def test_unacceptable_action_is_406_and_starts_nothing(api, world, machine, accept):
    _, vm = machine
    answer = api.post(vm.link('deploy'), accept=accept)
    assert_406(answer, 'xml' if '+xml' in accept else 'json', 2)
    again = api.get(vm.link('self'), status=200)
    assert again.doc['state'] == 'NOT_ALLOCATED' and again.has('deploy')
    assert task_count(api) == 0


def test_vapp_action_answers_the_task_as_accept_asks(api, world, machine):
    vapp, _ = machine
    accept = vnd('virtualappliance', 'xml', 1)
    answer = api.post(vapp.link('deploy'), accept=accept, status=202)
    assert_negotiated(answer, 'task', 'xml', 1)


def test_reconfigure_answers_the_task_as_accept_asks(api, world, machine):
    _, vm = machine
    VirtualMachine.update(state='ON').where(VirtualMachine.id == vm.doc['id']).execute()
    answer = api.put(
        vm.link('edit'),
        {'cpu': 4},
        content_type=vnd('virtualmachine', 'json'),
        accept=vnd('virtualmachine', 'xml', 1),
        status=202,
    )
    assert_negotiated(answer, 'task', 'xml', 1)
    assert answer.doc['type'] == 'RECONFIGURE'


def test_undeployed_edit_answers_the_machine_as_accept_asks(api, world, machine):
    _, vm = machine
    answer = api.put(
        vm.link('edit'),
        {'cpu': 2},
        content_type=vnd('virtualmachine', 'json'),
        accept=vnd('virtualmachine', 'xml', 1),
        status=200,
    )
    assert_negotiated(answer, 'virtualmachine', 'xml', 1)
    assert answer.doc['cpu'] == 2


def test_task_cancel_answers_as_accept_asks(api, world):
    task = api.post(
        create_href(api), TASK_JSON, content_type='application/json', status=201
    )
    answer = api.post(task.link('cancel'), accept=vnd('tasks', 'xml', 1), status=200)
    assert_negotiated(answer, 'task', 'xml', 1)
    assert answer.doc['status'] == 'failed'
    assert answer.doc['error']['code'] == 'TASK-CANCELLED'


def test_diagnostics_answers_as_accept_asks(as_user, world):
    admin = as_user('admin')
    answer = admin.post(
        root_of(admin).link('diagnostics'),
        {'jobs': 1, 'seconds': 0},
        content_type=vnd('sleep', 'json'),
        accept=vnd('sleep', 'xml', 1),
        status=202,
    )
    assert_negotiated(answer, 'task', 'xml', 1)
    assert answer.doc['type'] == 'SLEEP'
