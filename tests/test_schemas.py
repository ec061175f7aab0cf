"""The schemas: every JSON Schema is valid, every XSD is current and loads."""

from __future__ import annotations

import jsonschema
import pytest
from lxml import etree

from abiq.config import Config
from abiq.schemas import SchemaStore
from abiq.xsdgen import generate

CONFIG = Config()
STORE = SchemaStore(CONFIG.schema_dir)
MEDIA = [pair for pair in STORE.names() if pair[0] != 'common']


@pytest.mark.parametrize(('name', 'version'), MEDIA)
def test_json_schema_is_valid(name, version):
    jsonschema.Draft202012Validator.check_schema(STORE.schema(name, version))


@pytest.mark.parametrize(('name', 'version'), MEDIA)
def test_committed_xsd_matches_its_json_schema(name, version):
    path = CONFIG.xsd_dir / f'v{version}' / f'{name}.xsd'
    assert path.read_bytes() == generate(STORE, name, version), (
        f'{path} is stale: run make xsd'
    )
    etree.XMLSchema(etree.parse(str(path)))


def test_every_media_type_has_both_versions():
    names = {name for name, _ in MEDIA}
    for name in names:
        assert (name, 1) in MEDIA and (name, 2) in MEDIA


def test_unknown_schema_is_404(api):
    answer = api.as_user(None).get('/schemas/v2/nothing.json', status=404)
    assert answer.codes == ['404-NOT-FOUND']
