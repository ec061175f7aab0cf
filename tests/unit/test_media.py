"""The negotiator on its own: Accept, versions, q-values, 406/415/431
(API.md section 2)."""

from __future__ import annotations

import pytest

from abiq.media import MAX_ACCEPT
from abiq.media import Accepted
from abiq.media import MediaTypeError
from abiq.media import Negotiator
from abiq.media import parse_media_type

VERSIONS = (1, 2)
VND = 'application/vnd.abiq'


@pytest.fixture
def neg() -> Negotiator:
    return Negotiator('abiq', VERSIONS)


def _refusal(call, *args, **kwargs) -> MediaTypeError:
    with pytest.raises(MediaTypeError) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        (None, 'json', 2),
        ('', 'json', 2),
        ('  ', 'json', 2),
        ('*/*', 'json', 2),
        ('application/*', 'json', 2),
        ('application/json', 'json', 2),
        ('application/xml', 'xml', 2),
        ('text/xml', 'xml', 2),
        ('application/*+xml', 'xml', 2),
        ('application/*+json', 'json', 2),
        (f'{VND}.api+xml', 'xml', 2),
        (f'{VND}.api+xml; version=1', 'xml', 1),
        (f'{VND}.api+json;version="1"', 'json', 1),
        (f'{VND}.api; version=1', 'json', 1),
        (f'{VND.upper()}.API+XML; VERSION=1', 'xml', 1),
        # q decides first
        ('application/xml;q=0.5, application/json', 'json', 2),
        ('application/json;q=0.5, application/xml', 'xml', 2),
        (f'{VND}.api+xml;version=1;q=0.1, */*;q=0.2', 'json', 2),
        # then how specific the range is: vendor, plain, suffix, wildcard
        (f'application/json, {VND}.api+xml; version=1', 'xml', 1),
        ('*/*, application/xml', 'xml', 2),
        ('application/*+json, application/xml', 'xml', 2),
        ('*/*, application/*+xml', 'xml', 2),
        # then the first one given
        ('application/json, application/xml', 'json', 2),
        ('application/xml, application/json', 'xml', 2),
        # an unsupported version of one range leaves the others
        (f'{VND}.api+xml; version=9, application/json', 'json', 2),
        # what is not a media type is skipped
        ('garbage, /, application/xml', 'xml', 2),
    ],
)
def test_accept_table(neg, accept, fmt, version):
    assert neg.negotiate(accept, 'api') == Accepted('api', fmt, version)


@pytest.mark.parametrize(
    ('accept', 'fmt'),
    [
        ('*/*, application/json;q=0', 'xml'),
        ('*/*, application/xml;q=0', 'json'),
        (f'application/*, {VND}.api+json; version=2;q=0', 'xml'),
        # RFC 9110 12.5.1: q=0 refuses even what a higher wildcard allows
        ('application/json;q=0, */*;q=1', 'xml'),
    ],
)
def test_q_zero_excludes_a_format_a_wildcard_would_choose(neg, accept, fmt):
    assert neg.negotiate(accept, 'api') == Accepted('api', fmt, 2)


def test_q_zero_on_one_version_leaves_the_other(neg):
    accept = f'{VND}.api+json; version=2;q=0, {VND}.api+json; version=1'
    assert neg.negotiate(accept, 'api') == Accepted('api', 'json', 1)


@pytest.mark.parametrize(
    'accept',
    [
        'application/yaml, image/*',
        '*/*;q=0',
        'application/json;q=0',
        'application/json;q=0, application/xml;q=0, */*',
        f'{VND}.user+json',
        'application/vnd.other.api+json',
        f'{VND}.api+yaml',
    ],
)
def test_nothing_acceptable_is_406_naming_what_is_offered(neg, accept):
    refusal = _refusal(neg.negotiate, accept, 'api')
    assert (refusal.code, refusal.status) == ('406-NOT-ACCEPTABLE', 406)
    assert refusal.message == (
        f'Cannot answer with any type in Accept: {accept}; this resource offers '
        f'{VND}.api+json and {VND}.api+xml (versions 1, 2)'
    )


@pytest.mark.parametrize('version', ['0', '3', 'x', '', '-1', '2.0'])
def test_an_unsupported_version_is_406_listing_the_versions(neg, version):
    refusal = _refusal(neg.negotiate, f'{VND}.api+json; version={version}', 'api')
    assert refusal.code == '406-NOT-ACCEPTABLE'
    assert refusal.message == (
        'The requested version of api is not supported; supported versions: 1, 2'
    )


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        (f'{VND}.task+xml; version=1', 'xml', 1),
        (f'{VND}.task+json', 'json', 2),
        # the resource's own type is a step more specific than the task's
        (f'{VND}.task+xml, {VND}.template+json; version=1', 'json', 1),
        (f'{VND}.task+xml, application/json', 'xml', 2),
        # a refused task type refuses tasks, not the resource's own type
        (f'{VND}.task+json;q=0, */*', 'json', 2),
    ],
)
def test_the_task_type_stands_in_for_another_resources_type(neg, accept, fmt, version):
    assert neg.negotiate(accept, 'template') == Accepted('template', fmt, version)


def test_the_task_type_in_an_unsupported_version_is_406(neg):
    refusal = _refusal(neg.negotiate, f'{VND}.task+json; version=5', 'template')
    assert refusal.message.startswith('The requested version of template ')


def test_another_resources_type_is_refused_unless_any_name(neg):
    accept = f'{VND}.user+xml; version=1'
    assert _refusal(neg.negotiate, accept, 'template').status == 406
    assert neg.negotiate(accept, 'template', any_name=True) == Accepted(
        'template', 'xml', 1
    )


def test_an_accept_over_the_limit_is_431_unparsed(neg):
    assert neg.negotiate('*/*,' + ' ' * (MAX_ACCEPT - 4), 'api').format == 'json'
    refusal = _refusal(neg.negotiate, 'a' * (MAX_ACCEPT + 1), 'api')
    assert (refusal.code, refusal.status) == (
        '431-REQUEST-HEADER-FIELDS-TOO-LARGE',
        431,
    )
    assert (
        refusal.message == f'The Accept header is longer than {MAX_ACCEPT} characters'
    )


def test_short_answers_are_remembered_and_refusals_raised_afresh(neg):
    first = neg.negotiate('application/xml', 'api')
    assert neg.negotiate('application/xml', 'api') is first
    one = _refusal(neg.negotiate, 'image/png', 'api')
    two = _refusal(neg.negotiate, 'image/png', 'api')
    assert one is not two and one.message == two.message
    assert neg.answers.get(('image/png', 'api', False)) is not None
    long_accept = 'application/xml, ' + 'x/y, ' * 60
    assert neg.negotiate(long_accept, 'api').format == 'xml'
    assert neg.answers.get((long_accept, 'api', False)) is None


@pytest.mark.parametrize(
    ('mime', 'split'),
    [
        (f'{VND}.task+xml', ('task', 'xml')),
        (f'{VND}.task+json', ('task', 'json')),
        (f'{VND}.task', ('task', None)),
        (f'{VND}.task+yaml', None),
        ('application/vnd.other.task+xml', None),
        ('application/json', None),
    ],
)
def test_vendor_name(neg, mime, split):
    assert neg.vendor_name(mime) == split


@pytest.mark.parametrize(
    ('text', 'version'),
    [
        ('a/b', 2),
        ('a/b; version=1', 1),
        ('a/b; version=2', 2),
        ('a/b; version=3', None),
    ],
)
def test_version_of(neg, text, version):
    assert neg.version_of(parse_media_type(text)) == version


@pytest.mark.parametrize(
    ('accept', 'fmt', 'version'),
    [
        (None, 'json', 2),
        ('image/png', 'json', 2),
        ('application/xml', 'xml', 2),
        (f'{VND}.task+xml; version=1', 'xml', 1),
        (f'{VND}.api+xml; version=7', 'xml', 2),
        ('application/xml;q=0.4, application/json;q=0.9', 'json', 2),
        ('application/json;q=0.9, application/xml', 'xml', 2),
        # a tie on q goes to JSON
        ('application/xml;q=0.5, application/json;q=0.5', 'json', 2),
        ('application/xml;q=0', 'json', 2),
        ('application/xml,' + ' ' * MAX_ACCEPT, 'json', 2),
    ],
)
def test_the_error_format_follows_accept_and_never_fails(neg, accept, fmt, version):
    assert neg.error_format(accept) == Accepted('errors', fmt, version)


@pytest.mark.parametrize(
    ('header', 'expected'),
    [
        ('application/json', Accepted('task', 'json', 2)),
        ('application/json; charset=utf-8', Accepted('task', 'json', 2)),
        ('application/xml', Accepted('task', 'xml', 2)),
        (f'{VND}.task+xml; version=1', Accepted('task', 'xml', 1)),
        (f'{VND}.task+json', Accepted('task', 'json', 2)),
        (f'{VND}.task', Accepted('task', 'json', 2)),
        (f'{VND}.sleep+xml', Accepted('sleep', 'xml', 2)),
    ],
)
def test_a_body_type_the_target_reads(neg, header, expected):
    assert neg.content_type(header, ('task', 'sleep')) == expected


@pytest.mark.parametrize(
    'header',
    [None, '', 'text/plain', 'text/xml', f'{VND}.user+json', f'{VND}.task+yaml', 'x'],
)
def test_any_other_body_type_is_415_naming_what_is_read(neg, header):
    refusal = _refusal(neg.content_type, header, ('task',))
    assert (refusal.code, refusal.status) == ('415-UNSUPPORTED-MEDIA-TYPE', 415)
    assert refusal.message == (
        f'Content-Type {header or "(none)"} is not supported here; send one of '
        f'{VND}.task+json, {VND}.task+xml, application/json or application/xml'
    )


def test_an_unsupported_body_version_is_415_listing_the_versions(neg):
    refusal = _refusal(neg.content_type, f'{VND}.task+json; version=3', ('task',))
    assert refusal.code == '415-UNSUPPORTED-MEDIA-TYPE-VERSION'
    assert refusal.message == (
        f'Version 3 of {VND}.task+json is not supported; supported versions: 1, 2'
    )


def test_messages_quote_at_most_200_characters_of_the_header(neg):
    header = 'text/' + 'x' * 1000
    refusal = _refusal(neg.content_type, header, ('task',))
    assert 'x' * 200 not in refusal.message and '\u2026' in refusal.message


def test_a_vendor_of_its_own(neg):
    other = Negotiator('acme', VERSIONS)
    accept = 'application/vnd.acme.api+xml; version=1'
    assert other.negotiate(accept, 'api') == Accepted('api', 'xml', 1)
    assert _refusal(neg.negotiate, accept, 'api').status == 406


BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'


@pytest.mark.parametrize(
    'accept',
    [
        BROWSER,
        'text/html',
        'application/xhtml+xml',
        'text/html, application/xml;q=0.9',
        f'text/html, {VND}.api+json;q=0.5',
    ],
)
def test_a_browser_that_prefers_a_page_gets_the_html_view(neg, accept):
    # API.md section 2: text/html preferred over every type we serve.
    page = Accepted('api', 'json', 2, 'html')
    assert neg.negotiate(accept, 'api') == page
    assert neg.negotiate(accept, 'api').variant == 'html'
    assert neg.error_format(accept) == Accepted('errors', 'json', 2, 'html')


@pytest.mark.parametrize(
    ('accept', 'fmt'),
    [
        # a tie on q goes to the API's own types, not to the page
        ('text/html, application/json', 'json'),
        ('application/xml, text/html', 'xml'),
        ('text/html;q=0.5, */*', 'json'),
        ('text/html;q=0, application/xml', 'xml'),
    ],
)
def test_a_page_loses_to_our_types_unless_it_is_preferred(neg, accept, fmt):
    accepted = neg.negotiate(accept, 'api')
    assert (accepted.view, accepted.format) == (None, fmt)
