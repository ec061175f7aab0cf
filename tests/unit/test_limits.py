"""The sizes abiq accepts, and the cheap link rule that skips the validator."""

from __future__ import annotations

import pytest

from abiq.errors import ApiError
from abiq.limits import MAX_DEPTH
from abiq.limits import MAX_ID
from abiq.limits import MAX_ID_DIGITS
from abiq.limits import MAX_LINKS
from abiq.limits import TOO_DEEP
from abiq.limits import check_links
from abiq.limits import plain_link_rule
from abiq.limits import too_deep
from abiq.xmlmap import Array
from abiq.xmlmap import Element
from abiq.xmlmap import Scalar
from tests.unit.samples import KEYS
from tests.unit.samples import codec


def test_the_contract_figures():
    assert (MAX_DEPTH, MAX_LINKS, MAX_ID, MAX_ID_DIGITS) == (64, 1000, 2**63 - 1, 19)


def test_too_deep_is_a_400_naming_the_limit():
    error = too_deep()
    assert (error.status, error.errors[0].code, error.errors[0].message) == (
        400,
        '400-BAD-REQUEST',
        TOO_DEEP,
    )
    assert str(MAX_DEPTH) in TOO_DEEP


def test_check_links_refuses_one_over_the_limit():
    check_links(MAX_LINKS)
    with pytest.raises(ApiError) as caught:
        check_links(MAX_LINKS + 1)
    assert caught.value.status == 400
    assert caught.value.errors[0].message == (
        f'/links: a body holds at most {MAX_LINKS} links, not {MAX_LINKS + 1}'
    )


@pytest.mark.parametrize(('name', 'version'), KEYS)
def test_every_media_type_has_a_plain_rule_that_the_schema_agrees_with(name, version):
    plan = codec().plans[(name, version)]
    plain = plain_link_rule(plan)
    assert plain is not None
    cases = [
        {'rel': 'r', 'href': '/h'},
        {'rel': 'r', 'href': '/h', 'type': 't', 'title': 'x'},
        {'rel': 'r'},
        {'rel': '', 'href': '/h'},
        {'rel': 'r', 'href': 1},
        {'rel': 'r', 'href': '/h', 'other': 'x'},
        ['not', 'a', 'link'],
    ]
    schemas = codec().schemas
    for link in cases:
        valid = not schemas.request_violations({'links': [link]}, name, version)
        # NOTE: the rule may only ever be stricter than the schema.
        assert not plain(link) or valid, link
    assert [plain(link) for link in cases] == [True, True] + [False] * 5


def _plan(link_rules: dict, *, fields: tuple = ()) -> Element:
    link = Element(
        'link',
        (
            ('rel', Scalar('string', False, link_rules)),
            ('href', Scalar('string', False, {})),
        ),
        fields,
        required=frozenset({'rel', 'href'}),
    )
    return Element('doc', (), (('links', Array('link', link, False)),))


@pytest.mark.parametrize(
    'rules',
    [{'pattern': '^a'}, {'minLength': 2}, {'maxLength': 5}, {'enum': ['a']}],
)
def test_no_plain_rule_when_the_schema_asks_more_of_a_link(rules):
    assert plain_link_rule(_plan(rules)) is None


def test_no_plain_rule_without_links_or_for_links_with_children():
    assert plain_link_rule(Element('doc', (), ())) is None
    child = (('note', Scalar('string', False, {})),)
    assert plain_link_rule(_plan({}, fields=child)) is None
    assert plain_link_rule(_plan({'minLength': 1, 'type': 'string'})) is not None
