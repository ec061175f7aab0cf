"""The OpenAPI document: linked from the root, valid OpenAPI 3.1, describing
every route and method of the app with the JSON Schemas of its media types."""

from __future__ import annotations

import re

import orjson
from falcon import inspect as falcon_inspect
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from tests.conftest import make_app
from tests.support import Api

OPENAPI = 'application/vnd.oai.openapi+json;version=3.1'
FIELD = re.compile(r'\{(\w+)(?::\w+)?[^}]*\}')


def _document(api: Api, href: str | None = None, **kwargs) -> dict:
    href = href or api.get('/', status=200).link('service-desc')
    answer = api.as_user(None).get(href, status=200, **kwargs)
    assert answer.headers['Content-Type'] == OPENAPI
    return orjson.loads(answer.body)


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        found = [node['$ref']] if isinstance(node.get('$ref'), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_root_links_the_document_in_both_formats(api, world):
    for accept in ('application/json', 'application/xml'):
        root = api.get('/', accept=accept, status=200)
        links = [lk for lk in root.doc['links'] if lk['rel'] == 'service-desc']
        assert links == [
            {
                'rel': 'service-desc',
                'href': 'http://localhost/api/openapi.json',
                'type': OPENAPI,
            }
        ]


def test_the_document_is_public_and_valid_openapi_3_1(api, world):
    href = api.get('/', status=200).link('service-desc')
    answer = api.as_user(None).get(href, status=200)
    assert answer.headers['Cache-Control'] == 'public, max-age=3600'
    document = orjson.loads(answer.body)
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document['openapi'] == '3.1.0'
    assert document['servers'] == [{'url': 'http://localhost/api'}]
    assert api.as_user(None).request('HEAD', href, status=200).body == b''


def test_its_server_is_the_api_root_the_client_used(api, config, world):
    other_host = _document(api, headers={'Host': 'cloud.example.com:8443'})
    assert other_host['servers'] == [{'url': 'http://cloud.example.com:8443/api'}]
    assert _document(api)['servers'] == [{'url': 'http://localhost/api'}]
    public = make_app(config, public_url='https://api.example.com/base')
    client = Api(public, public.services.codec, api.auth)
    href = client.get('/', status=200).link('service-desc')
    assert href == 'https://api.example.com/base/api/openapi.json'
    # (the test client reaches the app below its own base URL)
    assert _document(client, '/openapi.json')['servers'] == [
        {'url': 'https://api.example.com/base/api'}
    ]


def test_every_route_and_method_of_the_app_is_described(app, api, world):
    paths = _document(api)['paths']
    prefix = app.services.config.prefix
    described = {
        (path, method.upper())
        for path, item in paths.items()
        for method in item
        if method != 'parameters'
    }
    served = set()
    for route in falcon_inspect.inspect_app(app).routes:
        path = FIELD.sub(r'{\1}', route.path[len(prefix) :])
        if not path:
            continue  # the prefix itself: the same root as '/'
        served |= {(path, m.method) for m in route.methods if not m.internal}
    assert served == described
    assert ('/tasks/{task_id}', 'PATCH') in described
    assert ('/virtualmachines/{vm_id}/deploy', 'POST') in described


def test_path_fields_say_what_they_take(api, world):
    paths = _document(api)['paths']
    vm_id = paths['/virtualmachines/{vm_id}']['parameters'][0]
    assert vm_id['in'] == 'path' and vm_id['required']
    assert vm_id['schema'] == {'type': 'integer', 'minimum': 1, 'maximum': 2**63 - 1}
    task_id = paths['/tasks/{task_id}']['parameters'][0]
    assert task_id['schema'] == {'type': 'string'}


def test_components_are_the_json_schemas_pointing_inside_the_document(api, world):
    document = _document(api)
    components = document['components']['schemas']
    for version in (1, 2):
        raw = api.get(f'/schemas/v{version}/task.json', status=200)
        schema = orjson.loads(raw.body)
        task = components[f'task_v{version}']
        assert '$schema' not in task
        assert task['properties'].keys() == schema['properties'].keys()
        assert task['required'] == schema['required']
    assert components['task_v2']['properties']['status'] == {
        '$ref': '#/components/schemas/task_v2/$defs/status'
    }
    assert components['tasks_v1']['properties']['collection']['items'] == {
        '$ref': '#/components/schemas/task_v1'
    }
    refs = _refs(document)
    assert refs and all(ref.startswith('#/components/') for ref in refs)
    # the XSD type of a timestamp is an extension of the OpenAPI XML Object
    timestamp = components['common_v2_timestamp']
    assert timestamp['xml'] == {'x-xsd-type': 'dateTime'}


def test_a_creation_documents_its_body_answers_and_errors(api, world):
    paths = _document(api)['paths']
    create_user = paths['/enterprises/{enterprise_id}/users']['post']
    content = create_user['requestBody']['content']
    assert list(content) == [
        'application/vnd.abiq.user+json; version=2',
        'application/vnd.abiq.user+json; version=1',
        'application/json',
        'application/vnd.abiq.user+xml; version=2',
        'application/vnd.abiq.user+xml; version=1',
        'application/xml',
    ]
    schema = content['application/json']['schema']
    assert schema['allOf'] == [
        {'$ref': '#/components/schemas/user_v2_request'},
        {'required': ['name', 'role', 'password']},
    ]
    assert set(create_user['responses']) == {
        '201',
        '400',
        '401',
        '403',
        '404',
        '406',
        '409',
        '413',
        '415',
        '422',
        '429',
        '503',
    }
    created = create_user['responses']['201']
    assert 'Location' in created['headers']
    assert created['content']['application/vnd.abiq.user+json; version=1'] == {
        'schema': {'$ref': '#/components/schemas/user_v1'}
    }


def test_a_read_and_an_action_document_their_answers(api, world):
    paths = _document(api)['paths']
    read_task = paths['/tasks/{task_id}']['get']
    assert {'200', '303', '304', '404'} <= set(read_task['responses'])
    assert 'ETag' in read_task['responses']['304']['headers']
    assert [p['name'] for p in read_task['parameters']] == ['Prefer', 'If-None-Match']
    deploy = paths['/virtualmachines/{vm_id}/deploy']['post']['responses']
    assert list(deploy['202']['content']) == [
        'application/vnd.abiq.task+json; version=2',
        'application/vnd.abiq.task+json; version=1',
        'application/vnd.abiq.task+xml; version=2',
        'application/vnd.abiq.task+xml; version=1',
        # API.md section 12: the page a browser gets instead
        'text/html',
    ]
    assert deploy['404'] == {'$ref': '#/components/responses/404'}


def test_the_html_view_and_the_browser_operations_are_documented(api, world):
    document = _document(api)
    paths = document['paths']
    root = paths['/']['get']['responses']['200']['content']
    assert root['text/html'] == {'schema': {'type': 'string'}}
    errors = document['components']['responses']['404']['content']
    assert 'text/html' in errors
    assert set(paths['/signin']) >= {'get', 'post'}
    assert 'text/html' in paths['/signin']['get']['responses']['200']['content']
    css = paths['/static/abiq.css']['get']['responses']['200']['content']
    assert list(css) == ['text/css']
    assert paths['/static/abiq.js']['get']['security'] == []


def test_collections_document_paging_and_their_filters(api, world):
    paths = _document(api)['paths']
    tasks = {p['name']: p['schema'] for p in paths['/tasks']['get']['parameters']}
    paging = ['startwith', 'limit', 'has', 'by', 'asc']
    assert list(tasks) == [*paging, 'status', 'type', 'If-None-Match']
    assert tasks['by']['enum'] == ['createdAt', 'id', 'status', 'type', 'updatedAt']
    assert tasks['limit'] == {'type': 'integer', 'minimum': 0, 'maximum': 1000}
    users = [
        p['name']
        for p in paths['/enterprises/{enterprise_id}/users']['get']['parameters']
    ]
    assert users == [*paging, 'If-None-Match']


def test_request_bodies_need_only_what_the_operation_needs(api, world):
    components = _document(api)['components']['schemas']
    for name in ('task', 'virtualmachine', 'user', 'sleep'):
        body = components[f'{name}_v2_request']
        assert 'required' not in body, name
        schema = api.codec.schemas.schema(name, 2)
        assert body['properties'].keys() == schema['properties'].keys()
    # a link is rel and href, in a body as in an answer
    assert components['common_v2_link']['required'] == ['rel', 'href']
    public = _document(api)['paths']['/schemas/v{version}/{name}.json']['get']
    assert public['security'] == []
