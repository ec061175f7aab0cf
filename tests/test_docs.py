"""The reference pages in docs/ list everything the server can answer.

These tests read the code (every error code it raises, every collection's
``by`` values, every setting) and the contract's rels, and fail when a page
forgets one: the docs cannot silently fall behind the server.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from abiq import paging
from abiq.config import Config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / 'docs'
CODE = re.compile(r"'((?:[A-Z]+|[0-9]{3})-[A-Z0-9-]+)'")
NOT_CODES = {'UTF-8'}
# API.md section 3: the relations in use, each documented (and service-desc,
# the root's link to the OpenAPI document).
RELS = (
    'self edit parent first previous next last describedby create tasks cancel '
    'retry result target user users currentuser enterprise enterprises tokens '
    'templates template virtualappliances virtualappliance virtualmachines '
    'virtualmachine deploy undeploy poweron poweroff reset diagnostics pending '
    'running finished failed cancelled service-desc'
).split()


def _page(name: str) -> str:
    return (DOCS / f'{name}.rst').read_text()


def _source() -> str:
    return '\n'.join(path.read_text() for path in (ROOT / 'abiq').rglob('*.py'))


def test_every_page_is_in_the_table_of_contents():
    index = _page('index')
    toctree = index.split('.. toctree::', 1)[1]
    listed = set(re.findall(r'^   ([a-z-]+)$', toctree, re.M))
    pages = {path.stem for path in DOCS.glob('*.rst')} - {'index'}
    assert listed == pages


def test_every_error_code_the_server_raises_is_documented():
    codes = set(CODE.findall(_source())) - NOT_CODES
    assert {'TASK-1', '404-NOT-FOUND', 'VM-2'} <= codes  # the scan works
    # the routing layer derives these from the status (abiq.app)
    codes |= {'405-METHOD-NOT-ALLOWED', '409-CONFLICT'}
    errors = _page('errors')
    missing = sorted(code for code in codes if f'``{code}``' not in errors)
    assert not missing, f'docs/errors.rst does not list {missing}'


def test_every_rel_is_documented():
    links = _page('links')
    missing = [rel for rel in RELS if f'``{rel}``' not in links]
    assert not missing, f'docs/links.rst does not describe {missing}'


def _collection_specs() -> list[paging.CollectionSpec]:
    import abiq.resources  # noqa: F401 - imports every collection's spec

    specs = []
    for module in (ROOT / 'abiq' / 'resources').glob('*.py'):
        text = module.read_text()
        for name in re.findall(r'^([A-Z_]+) = CollectionSpec\(', text, re.M):
            namespace = __import__(f'abiq.resources.{module.stem}', fromlist=[name])
            specs.append(getattr(namespace, name))
    return specs


def test_every_sort_attribute_is_documented():
    text = _page('paging')
    specs = _collection_specs()
    assert len(specs) >= 7
    for spec in specs:
        for by in spec.sort_fields:
            assert f'``{by}``' in text, f'docs/paging.rst: by={by} missing'


@pytest.mark.parametrize('document', ['docs/configuration.rst', 'README.rst'])
def test_every_setting_is_documented(document):
    fixed = {'prefix', 'schema_dir', 'xsd_dir'}  # not settings: set by code
    fields = set(Config.__dataclass_fields__) - fixed
    settings = {f'ABIQ_{name.upper()}' for name in fields}
    source = (ROOT / 'abiq' / 'config.py').read_text()
    assert settings <= set(re.findall(r"'(ABIQ_[A-Z_]+)'", source))
    text = (ROOT / document).read_text()
    missing = sorted(name for name in settings if name not in text)
    assert not missing, f'{document} does not describe {missing}'
