"""The client's media types and documents: the same dicts from JSON or XML."""

from __future__ import annotations

import pytest
from lxml import etree

from abiq.client.codec import MediaType
from abiq.client.codec import XmlPlans
from abiq.client.codec import decode
from abiq.client.codec import encode
from abiq.client.codec import media_type
from tests.support import validate_document
from tests.unit.samples import KEYS
from tests.unit.samples import codec
from tests.unit.samples import sample


@pytest.mark.parametrize(
    ('text', 'expected'),
    [
        (
            'application/vnd.abiq.task+xml; version=1',
            MediaType('abiq', 'task', 'xml', 1),
        ),
        ('application/vnd.abiq.task+json', MediaType('abiq', 'task', 'json', None)),
        (
            'Application/VND.Acme.Corp.User+JSON;version=2',
            MediaType('Acme.Corp', 'user', 'json', 2),
        ),
    ],
)
def test_media_type(text, expected):
    assert media_type(text) == expected


@pytest.mark.parametrize(
    'text', [None, '', 'application/json', 'application/vnd.abiq.task+yaml', 'x/y']
)
def test_what_is_no_vendor_type_is_none(text):
    assert media_type(text) is None


def test_a_media_type_as_a_header_and_in_another_format():
    task = MediaType('abiq', 'task', 'json', None)
    assert task.header() == 'application/vnd.abiq.task+json'
    assert task.header(1) == 'application/vnd.abiq.task+json; version=1'
    assert task.as_format('xml').header(2) == 'application/vnd.abiq.task+xml; version=2'
    assert MediaType('abiq', 'task', 'xml', 1).header(2).endswith('version=2')


@pytest.fixture(scope='module')
def plans() -> XmlPlans:
    return XmlPlans()


@pytest.mark.parametrize(('name', 'version'), KEYS)
def test_a_document_reads_the_same_in_xml_as_in_json(plans, name, version):
    doc = sample(name, version)
    xml = MediaType('abiq', name, 'xml', version)
    data = encode(doc, xml, plans)
    assert codec().xsds[(name, version)].validate(etree.fromstring(data))
    assert decode(data, xml, plans) == doc
    json = xml.as_format('json')
    assert decode(encode(doc, json, plans), json, plans) == doc
    assert validate_document(codec(), encode(doc, json, plans), name, 'json', version)


def test_xml_without_a_version_is_read_as_version_2(plans):
    doc = sample('task', 2)
    data = encode(doc, MediaType('abiq', 'task', 'xml', None), plans)
    assert data == encode(doc, MediaType('abiq', 'task', 'xml', 2), plans)


def test_plans_are_compiled_once(plans):
    assert plans.plan('task', 1) is plans.plan('task', 1)
