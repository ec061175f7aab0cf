"""What the OpenAPI document tells tools that do not read hypermedia: a
description of every operation, an example of every request body, what a
body needs (a machine's one template link), the order of XML children, and
OpenAPI links on every 201, 202 and 303 (API.md section 10)."""

from __future__ import annotations

import jsonschema

from tests.test_openapi import FIELD
from tests.test_openapi import _document
from tests.test_openapi import _refs


def _operations(document: dict):
    for path, item in document['paths'].items():
        for method, operation in item.items():
            if method != 'parameters':
                yield path, method, operation


def _validator(document: dict, schema: dict) -> jsonschema.Draft202012Validator:
    # NOTE: the document's own "#/components/..." refs resolve from the root.
    return jsonschema.Draft202012Validator(
        {**schema, 'components': document['components']}
    )


def test_every_operation_has_a_description(api, world):
    for path, method, operation in _operations(_document(api)):
        summary = operation['summary'].removesuffix(' (headers only)')
        assert operation['description'].startswith(summary), (path, method)
        assert 'Succeeds with' in operation['description'], (path, method)
    head = _document(api)['paths']['/tasks']['head']
    assert 'without a body' in head['description']


def test_every_request_body_has_an_example_valid_against_its_schema(api, world):
    document = _document(api)
    bodies = 0
    for path, method, operation in _operations(document):
        if 'requestBody' not in operation:
            continue
        bodies += 1
        for media, content in operation['requestBody']['content'].items():
            if 'json' not in media:
                continue
            assert 'example' in content, (path, method, media)
            _validator(document, content['schema']).validate(content['example'])
    assert bodies >= 10
    create_vm = document['paths']['/virtualappliances/{vapp_id}/virtualmachines']
    example = create_vm['post']['requestBody']['content']['application/json']
    # a link names the server the client used
    assert example['example']['links'] == [
        {'rel': 'template', 'href': 'http://localhost/api/templates/1'}
    ]


def test_a_machine_is_created_from_exactly_one_template_link(api, world):
    document = _document(api)
    create_vm = document['paths']['/virtualappliances/{vapp_id}/virtualmachines']
    body = create_vm['post']['requestBody']
    assert 'exactly one link with rel "template"' in body['description']
    for version in (1, 2):
        media = f'application/vnd.abiq.virtualmachine+json; version={version}'
        validator = _validator(document, body['content'][media]['schema'])
        template = {'rel': 'template', 'href': 'http://localhost/api/templates/1'}
        other = {'rel': 'parent', 'href': 'http://localhost/api/virtualappliances/1'}
        assert validator.is_valid({'name': 'web', 'links': [other, template]})
        assert not validator.is_valid({'name': 'web'})
        assert not validator.is_valid({'name': 'web', 'links': [other]})
        assert not validator.is_valid({'name': 'web', 'links': [template, template]})


def test_xml_bodies_are_described_as_taking_children_in_any_order(api, world):
    for _path, _method, operation in _operations(_document(api)):
        if 'requestBody' in operation:
            assert 'may come in any order' in operation['requestBody']['description']


def test_every_201_202_and_303_answer_links_the_next_operations(api, world):
    document = _document(api)
    by_id = {op['operationId']: (path, op) for path, _m, op in _operations(document)}
    linked = 0
    for path, method, operation in _operations(document):
        for status, answer in operation['responses'].items():
            if status not in ('201', '202', '303') or method == 'head':
                continue
            assert answer.get('links'), (path, method, status)
            for link in answer['links'].values():
                target, _operation = by_id[link['operationId']]
                assert set(link['parameters']) == set(FIELD.findall(target))
                linked += 1
    assert linked > 50
    paths = document['paths']
    created = paths['/virtualappliances']['post']['responses']['201']['links']
    assert created['self'] == {
        'operationId': 'get_virtualappliances_vapp_id',
        'parameters': {'vapp_id': '$response.body#/id'},
        'description': created['self']['description'],
    }
    assert created['deploy']['operationId'] == 'post_virtualappliances_vapp_id_deploy'
    deploy = paths['/virtualmachines/{vm_id}/deploy']['post']['responses']['202']
    assert deploy['links']['task']['operationId'] == 'get_tasks_task_id'
    assert deploy['links']['task']['parameters'] == {'task_id': '$response.body#/id'}
    assert deploy['links']['task_cancel']['operationId'] == 'post_tasks_task_id_cancel'
    result = paths['/tasks/{task_id}']['get']['responses']['303']['links']
    assert result['result_virtualmachine']['parameters'] == {
        'vm_id': '$response.header.Location#regex:/virtualmachines/([0-9]+)$'
    }


def test_every_schema_component_is_used(api, world):
    document = _document(api)
    prefix = '#/components/schemas/'
    used = {
        ref.removeprefix(prefix).split('/')[0]
        for ref in _refs(document)
        if ref.startswith(prefix)
    }
    assert set(document['components']['schemas']) == used
