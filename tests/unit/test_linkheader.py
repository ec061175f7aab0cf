"""The RFC 8288 Link header written from a document's links."""

from __future__ import annotations

from abiq.linkheader import MAX_LINK_HEADER
from abiq.linkheader import link_header


def test_a_document_without_links_has_no_header():
    assert link_header({}) == ''
    assert link_header({'links': []}) == ''


def test_each_link_with_its_type_and_title():
    doc = {
        'links': [
            {'rel': 'self', 'href': '/api/', 'type': 'application/vnd.abiq.api+json'},
            {'rel': 'tasks', 'href': '/api/tasks', 'title': 'Tasks'},
            {'rel': 'x', 'href': '/x', 'type': '', 'title': ''},
        ]
    }
    assert link_header(doc) == (
        '</api/>; rel="self"; type="application/vnd.abiq.api+json", '
        '</api/tasks>; rel="tasks"; title="Tasks", </x>; rel="x"'
    )


def test_a_title_is_quoted_or_written_in_the_extended_form():
    def title(text: str) -> str:
        return link_header({'links': [{'rel': 'r', 'href': '/h', 'title': text}]})

    assert title('say "hi" \\ bye') == '</h>; rel="r"; title="say \\"hi\\" \\\\ bye"'
    assert (
        title('caf\u00e9 & bar')
        == '</h>; rel="r"; title*=UTF-8\'\'caf%C3%A9%20%26%20bar'
    )
    assert title('a\nb') == '</h>; rel="r"; title*=UTF-8\'\'a%0Ab'


def _page(count: int) -> dict:
    return {
        'links': [{'rel': 'self', 'href': '/api/things'}],
        'collection': [
            {'links': [{'rel': 'self', 'href': f'/api/things/{n}', 'type': 't'}]}
            for n in range(count)
        ],
    }


def test_a_page_adds_one_item_link_per_member_with_a_self_link():
    doc = _page(2)
    doc['collection'] += [{'links': [{'rel': 'edit', 'href': '/e'}]}, 'odd', {}]
    assert link_header(doc) == (
        '</api/things>; rel="self", </api/things/0>; rel="item"; type="t", '
        '</api/things/1>; rel="item"; type="t"'
    )


def test_item_links_alone_when_the_page_has_no_links_of_its_own():
    doc = {'collection': [{'links': [{'rel': 'self', 'href': '/a'}]}]}
    assert link_header(doc) == '</a>; rel="item"'


def test_item_links_are_left_out_all_together_past_the_limit():
    kept = [n for n in range(400) if link_header(_page(n)).count('rel="item"') == n]
    fits = len(kept) - 1
    assert kept == list(range(fits + 1)) and fits > 100
    assert len(link_header(_page(fits))) <= MAX_LINK_HEADER
    assert len(
        link_header(_page(fits)) + ', </api/things/999>; rel="item"; type="t"'
    ) > (MAX_LINK_HEADER)
    assert link_header(_page(fits + 1)) == '</api/things>; rel="self"'


def test_embedded_links_are_not_repeated():
    doc = {
        'links': [{'rel': 'self', 'href': '/t'}],
        'jobs': [{'links': [{'rel': 'self', 'href': '/j'}]}],
    }
    assert link_header(doc) == '</t>; rel="self"'
