"""XML request bodies may give their children in any order (API.md section 2).

The order the XSD states is the order the server writes: every answer here
is validated against its XSD by :class:`tests.support.Api`, in both versions.
"""

from __future__ import annotations

import pytest

from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.support import basic

VERSIONS = [1, 2]


def _xml(name: str, version: int) -> str:
    return f'application/vnd.abiq.{name}+xml; version={version}'


@pytest.fixture
def admin(api):
    return api.as_user(basic('admin'))


@pytest.mark.parametrize('version', VERSIONS)
def test_a_template_with_its_fields_reversed_is_created(admin, world, version):
    templates = admin.get(admin.get('/', status=200).link('templates'), status=200)
    body = (
        '<template><disk>10</disk><ram>512</ram><cpu>2</cpu><os>linux</os>'
        '<description>reversed</description><name>backwards</name></template>'
    )
    created = admin.post(
        templates.link('create'),
        body,
        content_type=_xml('template', version),
        accept=_xml('template', version),
        status=201,
    )
    assert created.media == ('template', 'xml', version)
    assert {key: created.doc[key] for key in ('name', 'cpu', 'ram', 'disk')} == {
        'name': 'backwards',
        'cpu': 2,
        'ram': 512,
        'disk': 10,
    }
    # the answer is written in the XSD's order (Api validated it); so is its text
    assert created.body.index(b'<name>') < created.body.index(b'<disk>')


@pytest.mark.parametrize('version', VERSIONS)
def test_a_machine_with_links_and_fields_shuffled_is_created(api, world, version):
    template = make_template(api.as_user(basic('admin')))
    vapp = make_vapp(api, template.link('self'), [])
    machines = api.get(vapp.link('virtualmachines'), status=200)
    body = (
        '<virtualmachine><nameservers><nameserver>10.0.0.2</nameserver>'
        '<nameserver>10.0.0.1</nameserver></nameservers><ram>256</ram>'
        f'<link rel="template" href="{template.link("self")}"/>'
        '<name>shuffled</name><cpu>3</cpu></virtualmachine>'
    )
    created = api.post(
        machines.link('create'),
        body,
        content_type=_xml('virtualmachine', version),
        accept=_xml('virtualmachine', version),
        status=201,
    )
    assert created.doc['name'] == 'shuffled'
    assert (created.doc['cpu'], created.doc['ram']) == (3, 256)
    assert created.doc['nameservers'] == ['10.0.0.2', '10.0.0.1']
    edited = api.put(
        created.link('edit'),
        '<virtualmachine><hostname>moved</hostname><cpu>4</cpu></virtualmachine>',
        content_type=_xml('virtualmachine', version),
        status=200,
    )
    assert (edited.doc['hostname'], edited.doc['cpu']) == ('moved', 4)


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize(
    ('body', 'where'),
    [
        # an unknown element, given first: still not expected
        ('<colour>red</colour><name>odd</name>', "'colour'"),
        # a bad value out of order: still its rule
        ('<cpu>many</cpu><name>odd</name>', "'cpu'"),
        # a field given twice, apart: still once at most
        ('<name>one</name><os>linux</os><name>two</name>', "'name'"),
    ],
)
def test_shuffled_bodies_are_still_validated(admin, world, version, body, where):
    templates = admin.get(admin.get('/', status=200).link('templates'), status=200)
    refused = admin.post(
        templates.link('create'),
        f'<template>{body}</template>',
        content_type=_xml('template', version),
        status=400,
    )
    assert refused.codes == ['400-BAD-REQUEST']
    assert where in refused.doc['collection'][0]['message']
