"""Absurd input gets a 4xx error collection with a stable code, never a 500,
and changes nothing (API.md section 10, "Input hygiene")."""

from __future__ import annotations

import orjson
import pytest

from tests.domain_support import JSON as DOMAIN_JSON
from tests.domain_support import make_template
from tests.domain_support import make_vapp

TASK_JSON = 'application/vnd.abiq.task+json'
TASK_XML = 'application/vnd.abiq.task+xml'
ACCEPTS = ['application/json', 'application/xml']
HUGE_ID = '9' * 5000


@pytest.fixture
def tasks(api, world):
    return api.get(api.get('/').link('tasks'), status=200)


def _total(api, href: str) -> int:
    return api.get(href, status=200).doc['totalSize']


def _refused(answer, code: str, fragment: str, accept: str = '/json') -> None:
    assert answer.codes == [code], answer.doc
    assert fragment in answer.doc['collection'][0]['message']
    assert answer.media[:2] == ('errors', accept.rsplit('/', 1)[1])


def _nested_json(levels: int) -> bytes:
    # the body object is level 1; each array inside it one more
    inner = levels - 1
    return b'{"type": "A", "description": ' + b'[' * inner + b']' * inner + b'}'


def _nested_xml(levels: int) -> bytes:
    # <task> is level 1
    inner = levels - 1
    return b'<task><type>A</type>' + b'<a>' * inner + b'</a>' * inner + b'</task>'


def _links(count: int, fmt: str, extra: bytes = b'') -> tuple[bytes, str]:
    hrefs = [f'http://localhost/api/elsewhere/{index}' for index in range(count)]
    if fmt == 'json':
        links = [{'rel': 'related', 'href': href} for href in hrefs]
        return orjson.dumps({'type': 'A', 'links': links}) + extra, TASK_JSON
    body = b''.join(b'<link rel="related" href="%s"/>' % h.encode() for h in hrefs)
    return b'<task>' + body + b'<type>A</type></task>', TASK_XML


@pytest.mark.parametrize(
    ('body', 'content_type'),
    [
        (_nested_json(65), TASK_JSON),
        (_nested_json(1000), TASK_JSON),  # was a RecursionError, a 500
        (_nested_json(100_000), TASK_JSON),
        (_nested_xml(65), TASK_XML),
        (_nested_xml(10_000), TASK_XML),
    ],
    ids=['json-65', 'json-1000', 'json-100000', 'xml-65', 'xml-10000'],
)
@pytest.mark.parametrize('accept', ACCEPTS)
def test_a_body_nested_deeper_than_64_levels_is_400(
    api, tasks, body, content_type, accept
):
    create = tasks.link('create')
    answer = api.post(create, body, content_type=content_type, accept=accept)
    assert answer.status == 400
    _refused(answer, '400-BAD-REQUEST', 'nested deeper than 64 levels', accept)
    assert _total(api, tasks.link('self')) == 0


@pytest.mark.parametrize('nested', [_nested_json, _nested_xml], ids=['json', 'xml'])
def test_64_levels_are_read_as_any_body(api, tasks, nested):
    content_type = TASK_JSON if nested is _nested_json else TASK_XML
    answer = api.post(tasks.link('create'), nested(64), content_type=content_type)
    assert answer.status == 400  # a description is not a list
    messages = ' '.join(item['message'] for item in answer.doc['collection'])
    assert 'nested deeper' not in messages


@pytest.mark.parametrize('accept', ACCEPTS)
def test_a_path_id_beyond_19_digits_is_404(api, world, accept):
    # 20 digits naming id 1, and 5,000 (which Python's int() refuses)
    for segment in ('0' * 19 + '1', HUGE_ID):
        for path in (
            f'/enterprises/{segment}',
            f'/enterprises/{segment}/users',
            f'/users/{segment}',
            f'/templates/{segment}',
            f'/virtualappliances/{segment}/virtualmachines',
            f'/virtualmachines/{segment}/tasks',
            f'/tokens/{segment}',
        ):
            answer = api.get(path, accept=accept, status=404)
            _refused(answer, '404-NOT-FOUND', 'does not exist', accept)
        answer = api.post(f'/virtualmachines/{segment}/poweron', accept=accept)
        assert answer.status == 404
    assert api.get(f'/enterprises/{world.acme.id:019d}', status=200)


def test_other_path_fields_of_5000_characters_are_404(api, tasks):
    long = 'a' * 5000
    assert api.get(f'/tasks/{long}', status=404).codes == ['TASK-1']
    assert api.post(f'/tasks/{long}/cancel', status=404).codes == ['TASK-1']
    for path in (f'/schemas/v{HUGE_ID}/task.json', f'/schemas/v2/{long}.json'):
        assert api.get(path, status=404).codes == ['404-NOT-FOUND']
    assert api.get(f'/xsd/v{HUGE_ID}/task.xsd', status=404).codes == ['404-NOT-FOUND']


@pytest.mark.parametrize('segment', ['0' * 19 + '1', HUGE_ID])
def test_a_link_to_an_id_beyond_19_digits_is_400(api, tasks, segment):
    target = f'http://localhost/api/enterprises/{segment}'
    body = {'type': 'A', 'links': [{'rel': 'target', 'href': target}]}
    answer = api.post(tasks.link('create'), body, content_type=TASK_JSON, status=400)
    assert answer.codes == ['400-BAD-REQUEST']
    assert _total(api, tasks.link('self')) == 0


@pytest.mark.parametrize('accept', ACCEPTS)
def test_a_has_longer_than_256_characters_is_query_5(api, tasks, accept):
    api.post(tasks.link('create'), {'type': 'A'}, content_type=TASK_JSON, status=201)
    root = api.get('/', status=200)
    for collection in (root.link('tasks'), root.link('templates')):
        fits = api.get(f'{collection}?has={"x" * 256}', accept=accept, status=200)
        assert fits.doc['totalSize'] == 0
        # 100,000 characters made SQLite fail ("LIKE pattern too complex")
        for length in (257, 100_000):
            answer = api.get(f'{collection}?has={"x" * length}', accept=accept)
            assert answer.status == 400
            _refused(answer, 'QUERY-5', 'at most 256 characters', accept)
    assert _total(api, tasks.link('self')) == 1


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_more_than_1000_links_in_a_body_are_400(api, tasks, fmt):
    create = tasks.link('create')
    body, content_type = _links(1001, fmt)
    answer = api.post(create, body, content_type=content_type, status=400)
    _refused(answer, '400-BAD-REQUEST', 'at most 1000 links')
    assert _total(api, tasks.link('self')) == 0
    body, content_type = _links(1000, fmt)
    api.post(create, body, content_type=content_type, status=201)


def test_more_than_1000_links_change_no_task(api, tasks):
    task = api.post(
        tasks.link('create'),
        {'type': 'A', 'progress': 10},
        content_type=TASK_JSON,
        status=201,
    )
    links = [{'rel': 'related', 'href': f'http://x/{n}'} for n in range(1001)]
    body = {'progress': 50, 'links': links}
    answer = api.put(task.link('edit'), body, content_type=TASK_JSON, status=400)
    assert answer.codes == ['400-BAD-REQUEST']
    assert api.get(task.link('self'), status=200).doc['progress'] == 10


def test_more_than_1000_links_create_no_machine(api, as_user, world):
    template = make_template(as_user('admin'))
    vapp = make_vapp(api, template.link('self'), [])
    machines = api.get(vapp.link('virtualmachines'), status=200)
    links = [{'rel': 'template', 'href': template.link('self')}]
    links += [{'rel': 'related', 'href': f'http://x/{n}'} for n in range(1000)]
    body = {'name': 'web', 'links': links}
    create = machines.link('create')
    content_type = DOMAIN_JSON['virtualmachine']
    answer = api.post(create, body, content_type=content_type, status=400)
    assert answer.codes == ['400-BAD-REQUEST']
    assert _total(api, vapp.link('virtualmachines')) == 0


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_a_bad_link_among_1000_is_named_by_its_place(api, tasks, fmt):
    body, content_type = _links(999, fmt)
    if fmt == 'json':
        doc = orjson.loads(body)
        doc['links'].append({'rel': 'related'})
        body, where = orjson.dumps(doc), '/links/999'
    else:
        body = body.replace(b'<type>', b'<link rel="related"/><type>')
        where = 'link[1000]'
    answer = api.post(tasks.link('create'), body, content_type=content_type)
    assert answer.status == 400
    messages = [item['message'] for item in answer.doc['collection']]
    assert len(messages) == 1 and where in messages[0], messages
    assert _total(api, tasks.link('self')) == 0


def test_two_target_links_are_400(api, tasks, world):
    acme = f'http://localhost/api/enterprises/{world.acme.id}'
    body = {'type': 'A', 'links': [{'rel': 'target', 'href': acme}] * 2}
    create = tasks.link('create')
    api.post(create, body, content_type=TASK_JSON, status=201)  # the same, twice
    alice = f'http://localhost/api/users/{world.alice.id}'
    body['links'].append({'rel': 'target', 'href': alice})
    answer = api.post(create, body, content_type=TASK_JSON, status=400)
    assert answer.codes == ['400-BAD-REQUEST']
    assert 'at most one link with rel' in answer.doc['collection'][0]['message']
    assert _total(api, tasks.link('self')) == 1


@pytest.mark.parametrize(
    'path',
    [
        '/tasks?has=%FC',
        '/tasks?type=%C3',  # a sequence cut short
        '/templates?has=a&by=%80',
        '/tasks/%FC',
        '/enterprises/%FC/users',
        '/%FC',
    ],
)
@pytest.mark.parametrize('accept', ACCEPTS)
def test_a_path_or_query_that_is_not_utf8_is_400(api, world, path, accept):
    answer = api.get(path, accept=accept, status=400)
    _refused(answer, '400-BAD-REQUEST', 'not valid UTF-8', accept)


def test_utf8_in_the_path_and_query_is_read(api, tasks):
    body = {'type': 'A', 'description': 'caf\u00e9'}
    api.post(tasks.link('create'), body, content_type=TASK_JSON, status=201)
    found = api.get('/tasks?has=CAF%C3%89', status=200)
    assert found.doc['totalSize'] == 1
    assert api.get('/tasks/caf%C3%A9', status=404).codes == ['TASK-1']


def test_the_openapi_document_states_the_limits(api, world):
    document = api.get('/openapi.json', status=200)
    document = orjson.loads(document.body)
    parameters = document['paths']['/tasks']['get']['parameters']
    has = next(p for p in parameters if p['name'] == 'has')
    assert has['schema']['maxLength'] == 256
    components = document['components']['schemas']
    for name in ('task', 'virtualmachine'):
        links = components[f'{name}_v2_request']['properties']['links']
        assert links['maxItems'] == 1000
    assert '64 levels' in document['components']['responses']['400']['description']
