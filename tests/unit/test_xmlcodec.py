"""The XML codec on its own: answers to XML and back, canonical order, and
the hardened parser (API.md section 2)."""

from __future__ import annotations

import pytest
from lxml import etree

from abiq import xmlcodec
from abiq.kept import KeptDocument
from abiq.limits import MAX_DEPTH
from abiq.limits import TOO_DEEP
from tests.support import validate_document
from tests.unit.samples import KEYS
from tests.unit.samples import codec
from tests.unit.samples import sample


def _plan(name: str, version: int):
    return codec().plans[(name, version)]


@pytest.mark.parametrize(('name', 'version'), KEYS)
def test_every_sample_is_a_valid_answer(name, version):
    assert not codec().schemas.violations(sample(name, version), name, version)


@pytest.mark.parametrize(('name', 'version'), KEYS)
def test_an_answer_written_in_xml_is_valid_and_reads_back_the_same(name, version):
    doc = sample(name, version)
    data = xmlcodec.dumps(doc, _plan(name, version))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>")
    # validate_document checks the XSD, then the JSON Schema of what it read
    assert validate_document(codec(), data, name, 'xml', version) == doc


def _lxml_bytes(doc: dict, plan) -> bytes:
    tree = xmlcodec.to_tree(doc, plan)
    return etree.tostring(tree, xml_declaration=True, encoding='UTF-8', standalone=True)


@pytest.mark.parametrize(('name', 'version'), KEYS)
def test_the_written_text_is_the_bytes_lxml_writes_for_the_same_tree(name, version):
    plan = _plan(name, version)
    doc = sample(name, version)
    assert xmlcodec.dumps(doc, plan) == _lxml_bytes(doc, plan)


def test_markup_and_whitespace_in_text_and_attributes_are_escaped_as_lxml_does():
    plan = _plan('task', 2)
    doc = sample('task', 2)
    tricky = 'a & b < c > d " e \' f\r\ng\th ü 𝄞 ]]>'
    doc['description'] = tricky
    doc['log'] = ''
    doc['jobs'] = []
    doc['links'] = [{'rel': 'self', 'href': f'/api/tasks/1?q={tricky}', 'type': 'x'}]
    data = xmlcodec.dumps(doc, plan)
    assert data == _lxml_bytes(doc, plan)
    read = validate_document(codec(), data, 'task', 'xml', 2)
    assert read['description'] == tricky
    assert read['links'][0]['href'] == f'/api/tasks/1?q={tricky}'


@pytest.mark.parametrize('char', ['\x00', '\x07', '\x1f', '\ufffe', '\uffff', '\ud800'])
def test_a_character_xml_cannot_carry_is_refused_as_lxml_refuses_it(char):
    doc = sample('task', 2)
    doc['description'] = f'not xml: {char}'
    with pytest.raises(ValueError):
        _lxml_bytes(doc, _plan('task', 2))
    with pytest.raises(ValueError, match='XML compatible'):
        xmlcodec.dumps(doc, _plan('task', 2))


def test_null_is_an_absent_element_and_booleans_are_words():
    doc = sample('task', 2)
    data = xmlcodec.dumps(doc, _plan('task', 2))
    assert b'<finishedAt' not in data.split(b'<jobs>')[0]
    assert b'<cancellable>true</cancellable>' in data
    assert b'<retryable>false</retryable>' in data
    assert b'<errors/>' in data


def test_a_request_body_leaves_absent_fields_out():
    root = xmlcodec.parse(b'<task><progress>5</progress><type>A</type></task>')
    assert xmlcodec.from_tree(root, _plan('task', 2)) == {
        'progress': 5,
        'type': 'A',
        'links': [],
    }


def test_scalars_are_read_by_their_schema_type():
    root = xmlcodec.parse(
        b'<template><cpu>2</cpu><name>007</name><ram>0512</ram></template>'
    )
    doc = xmlcodec.from_tree(root, _plan('template', 2))
    assert (doc['cpu'], doc['name'], doc['ram']) == (2, '007', 512)


def test_fields_are_written_in_schema_order():
    doc = sample('template', 2)
    reversed_doc = dict(reversed(list(doc.items())))
    data = xmlcodec.dumps(reversed_doc, _plan('template', 2))
    assert data == xmlcodec.dumps(doc, _plan('template', 2))
    tags = [child.tag for child in etree.fromstring(data)]
    assert tags == ['link', 'id', 'name', 'description', 'os', 'cpu', 'ram', 'disk']


def _shuffled(element: etree._Element) -> None:
    """Reverse the order of the tags, not of children sharing one (items)."""
    tags = list(dict.fromkeys(child.tag for child in element))
    element[:] = [
        child for tag in reversed(tags) for child in element if child.tag == tag
    ]
    for child in element:
        _shuffled(child)


def test_canonical_order_puts_any_order_back_in_the_xsd_order():
    plan = _plan('task', 2)
    written = xmlcodec.dumps(sample('task', 2), plan)
    root = etree.fromstring(written)
    _shuffled(root)
    assert etree.tostring(root) != etree.tostring(etree.fromstring(written))
    xmlcodec.canonical_order(root, plan)
    assert codec().xsds[('task', 2)].validate(root)
    assert etree.tostring(root) == etree.tostring(etree.fromstring(written))


def test_canonical_order_keeps_links_in_their_order():
    root = xmlcodec.parse(
        b'<task><type>A</type><link rel="b" href="/b"/><progress>1</progress>'
        b'<link rel="a" href="/a"/></task>'
    )
    xmlcodec.canonical_order(root, _plan('task', 2))
    assert [child.get('rel') or child.tag for child in root] == [
        'b',
        'a',
        'type',
        'progress',
    ]


def test_an_unknown_or_repeated_child_is_still_refused_by_the_xsd():
    plan, xsd = _plan('template', 2), codec().xsds[('template', 2)]
    for body in (
        b'<template><bogus>1</bogus><name>x</name></template>',
        b'<template><name>x</name><cpu>1</cpu><name>y</name></template>',
    ):
        root = xmlcodec.parse(body)
        xmlcodec.canonical_order(root, plan)
        assert not xsd.validate(root)
    assert [child.tag for child in root] == ['name', 'name', 'cpu']


@pytest.mark.parametrize(
    'body',
    [
        b'<!DOCTYPE task><task/>',
        b'<!DOCTYPE task [<!ENTITY x "boom">]><task><type>&x;</type></task>',
        b'<!DOCTYPE task [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<task><type>&x;</type></task>',
        b'<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;">]><task><type>&c;</type></task>',
    ],
    ids=['doctype', 'entity', 'external-entity', 'laughs'],
)
def test_a_dtd_or_entity_is_refused_before_any_expansion(body):
    with pytest.raises(xmlcodec.XmlSyntaxError) as caught:
        xmlcodec.parse(body)
    assert str(caught.value) == 'XML documents with a DOCTYPE are not accepted'


def test_an_undeclared_entity_is_malformed():
    with pytest.raises(xmlcodec.XmlSyntaxError, match='^Malformed XML: '):
        xmlcodec.parse(b'<task><type>&x;</type></task>')


def test_comments_and_processing_instructions_are_dropped():
    root = xmlcodec.parse(b'<task><!-- hi --><?pi x?><type>A</type></task>')
    assert [child.tag for child in root] == ['type']


def _nested(levels: int) -> bytes:
    return b'<a>' * levels + b'</a>' * levels


def test_nesting_is_limited_to_max_depth():
    assert xmlcodec.parse(_nested(MAX_DEPTH)).tag == 'a'
    for levels in (MAX_DEPTH + 1, 300):
        with pytest.raises(xmlcodec.XmlSyntaxError, match=f'^{TOO_DEEP}$'):
            xmlcodec.parse(_nested(levels))


@pytest.mark.parametrize('body', [b'', b'<task>', b'not xml', b'<a></b>'])
def test_malformed_xml_is_refused(body):
    with pytest.raises(xmlcodec.XmlSyntaxError, match='^Malformed XML: '):
        xmlcodec.parse(body)


@pytest.mark.parametrize(
    ('doc', 'found'),
    [
        ({'a': 'plain', 'b': ['é', '\t\n\r', '\U0001f600']}, []),
        ({'a': 'x\x00y'}, [('/a', '\x00')]),
        ({'a': [{'b/c': '\x07'}]}, [('/a/0/b~1c', '\x07')]),
        ({'a': '\ufffe', 'b': 'x\x08'}, [('/a', '\ufffe'), ('/b', '\x08')]),
    ],
)
def test_what_xml_cannot_carry_is_found_and_pointed_at(doc, found):
    assert xmlcodec.may_hold_not_xml(doc) is bool(found)
    assert xmlcodec.not_xml_characters(doc) == found


def test_an_escaped_backslash_only_costs_a_closer_look():
    doc = {'a': 'C:\\u0001\\b'}
    assert xmlcodec.may_hold_not_xml(doc)
    assert xmlcodec.not_xml_characters(doc) == []


def test_a_lone_surrogate_may_hold_what_xml_cannot_carry():
    assert xmlcodec.may_hold_not_xml({'a': '\ud800'})


def test_xml_text_writes_what_xml_cannot_carry_as_escapes():
    assert xmlcodec.xml_text('a\x00b\x1fc\u00e9') == 'a\\u0000b\\u001fc\u00e9'


def test_a_kept_item_is_written_once_and_the_same_every_time():
    plan = _plan('tasks', 2)
    page = sample('tasks', 2)
    assert page['collection'], 'the sample page has items'
    plain = xmlcodec.dumps(page, plan)
    kept = [KeptDocument(item) for item in page['collection']]
    with_kept = {**page, 'collection': kept}
    assert xmlcodec.dumps(with_kept, plan) == plain
    assert all(len(item.writings) == 1 for item in kept)
    # NOTE: the text remembered is what is sent again, not a new writing
    (key,) = kept[0].writings
    kept[0].writings[key] = kept[0].writings[key].replace('</task>', '<!--k--></task>')
    assert b'<!--k--></task>' in xmlcodec.dumps(with_kept, plan)
