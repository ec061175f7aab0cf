"""OPTIONS (204 with the 405's Allow) and CORS with ABIQ_CORS_ORIGINS."""

from __future__ import annotations

import pytest

from abiq.config import Config
from abiq.config import ConfigError
from abiq.config import parse_origins
from tests.conftest import make_app
from tests.support import Api
from tests.support import basic

SITE = 'https://console.example.com'
PREFLIGHT = {
    'Origin': SITE,
    'Access-Control-Request-Method': 'PUT',
    'Access-Control-Request-Headers': 'authorization, content-type, if-match',
}


def names(value: str) -> set[str]:
    return {name.strip() for name in value.split(',')}


CORS_NAMES = ('Access-Control-Allow-Origin', 'Access-Control-Expose-Headers')


def cors_api(config, origins: str) -> Api:
    app = make_app(config, cors_origins=parse_origins(origins))
    return Api(app, app.services.codec, basic('alice'))


@pytest.mark.parametrize(
    'path', ['/', '/tasks', '/virtualappliances', '/virtualappliances/1']
)
def test_options_gives_the_allow_of_a_405_with_no_body(api, as_user, world, path):
    refused = api.request('PATCH', path)
    if refused.status != 405:
        refused = api.request('POST', path, status=405)
    for client in (api, as_user(None)):
        answer = client.request('OPTIONS', path, status=204)
        assert answer.headers['Allow'] == refused.headers['Allow']
        assert answer.body == b''
        assert 'Content-Type' not in answer.headers
    assert 'OPTIONS' in refused.headers['Allow'].split(', ')


def test_options_on_an_unknown_path_is_404(as_user, world):
    as_user(None).request('OPTIONS', '/nowhere', status=404)


def test_without_configuration_there_are_no_cors_headers(as_user, world):
    anonymous = as_user(None)
    preflight = anonymous.request('OPTIONS', '/tasks', headers=PREFLIGHT, status=204)
    answer = anonymous.get('/', headers={'Origin': SITE}, status=401)
    for resp in (preflight, answer):
        assert not [name for name in resp.headers if name.startswith('Access-Control')]


def test_a_preflight_needs_no_credentials(config, world):
    api = cors_api(config, SITE).as_user(None)
    answer = api.request('OPTIONS', '/virtualappliances/1', headers=PREFLIGHT)
    assert answer.status == 204
    headers = answer.headers
    assert headers['Access-Control-Allow-Origin'] == SITE
    assert 'Origin' in headers['Vary']
    assert headers['Access-Control-Allow-Methods'] == headers['Allow']
    assert 'PUT' in headers['Allow']
    allowed = names(headers['Access-Control-Allow-Headers'])
    assert {
        'Authorization',
        'Content-Type',
        'Idempotency-Key',
        'If-Match',
        'If-None-Match',
        'Prefer',
    } <= allowed
    assert 'Access-Control-Allow-Credentials' not in headers


def test_answers_expose_the_headers_clients_need(config, world):
    api = cors_api(config, f'https://other.example, {SITE}')
    answer = api.get('/', headers={'Origin': SITE}, status=200)
    assert answer.headers['Access-Control-Allow-Origin'] == SITE
    assert {'Accept', 'Origin'} <= names(answer.headers['Vary'])
    exposed = names(answer.headers['Access-Control-Expose-Headers'])
    assert exposed == {
        'Location',
        'Content-Location',
        'ETag',
        'Retry-After',
        'Link',
        'Preference-Applied',
        'X-Request-Id',
    }
    # NOTE: an error is readable too, so a page can show why it failed.
    denied = api.as_user(None).get('/', headers={'Origin': SITE}, status=401)
    assert denied.headers['Access-Control-Allow-Origin'] == SITE


def test_another_origin_gets_no_cors_headers(config, world):
    api = cors_api(config, SITE)
    answer = api.get('/', headers={'Origin': 'https://evil.example'}, status=200)
    assert not [name for name in CORS_NAMES if name in answer.headers]
    assert 'Origin' in answer.headers['Vary']


def test_star_allows_any_origin_and_echoes_it_with_credentials(config, world):
    api = cors_api(config, '*')
    anonymous = api.as_user(None).request(
        'OPTIONS', '/tasks', headers={**PREFLIGHT, 'Origin': 'https://a.example'}
    )
    assert anonymous.status == 204
    assert anonymous.headers['Access-Control-Allow-Origin'] == '*'
    signed = api.get('/', headers={'Origin': 'https://a.example'}, status=200)
    assert signed.headers['Access-Control-Allow-Origin'] == 'https://a.example'
    assert 'Origin' in signed.headers['Vary']


@pytest.mark.parametrize(
    ('raw', 'expected'),
    [
        ('', ()),
        ('*', ('*',)),
        (
            'https://A.example, http://b.example:8080',
            ('https://a.example', 'http://b.example:8080'),
        ),
    ],
)
def test_the_setting_is_read(raw, expected):
    assert Config.from_env({'ABIQ_CORS_ORIGINS': raw}).cors_origins == expected


@pytest.mark.parametrize(
    'raw', ['example.com', 'https://a.example/', 'ftp://a.example']
)
def test_a_bad_origin_is_refused(raw):
    with pytest.raises(ConfigError, match='ABIQ_CORS_ORIGINS'):
        Config.from_env({'ABIQ_CORS_ORIGINS': raw})
