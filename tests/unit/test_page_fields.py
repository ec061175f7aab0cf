"""A page's form inputs are made from the schemas once per body, not per page."""

from __future__ import annotations

import pytest

import abiq.html
from abiq.config import Config
from abiq.html import HtmlView
from abiq.html import PageFacts
from abiq.html.forms import fields_of
from abiq.links import Urls
from abiq.mediatypes import Accepted
from abiq.schemas import SchemaStore

ROOT = 'http://127.0.0.1/api'


@pytest.fixture(scope='module')
def schemas() -> SchemaStore:
    return SchemaStore(Config().schema_dir)


def _tasks_page() -> dict:
    task_type = 'application/vnd.abiq.task+json'
    return {
        'links': [
            {'rel': 'self', 'href': f'{ROOT}/tasks', 'type': task_type},
            {'rel': 'create', 'href': f'{ROOT}/tasks', 'type': task_type},
        ],
        'totalSize': 0,
        'collection': [],
    }


def _create_form(view: HtmlView, required: tuple[str, ...]) -> dict:
    facts = PageFacts(caller='bench', csrf='x', required={'POST': required})
    accepted = Accepted('tasks', 'json', 2, 'html')
    context = view.context(_tasks_page(), accepted, Urls(ROOT, 'abiq', accepted), facts)
    (form,) = context['forms']
    return form


def test_cached_inputs_are_the_schemas(schemas: SchemaStore) -> None:
    view = HtmlView(schemas)
    assert view.fields('task', 2, ('type',)) == tuple(
        fields_of(schemas, 'task', 2, ('type',))
    )


def test_pages_resolve_a_bodys_inputs_once(
    schemas: SchemaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def counted(*args):
        calls.append(args[1:])
        return fields_of(*args)

    monkeypatch.setattr(abiq.html, 'fields_of', counted)
    view = HtmlView(schemas)
    first = _create_form(view, ('type',))
    second = _create_form(view, ('type',))
    assert first['fields'] == second['fields']
    assert calls == [('task', 2, ('type',))]


def test_what_a_form_requires_is_kept_apart(schemas: SchemaStore) -> None:
    view = HtmlView(schemas)
    with_type = _create_form(view, ('type',))
    without = _create_form(view, ())
    required = {field.name for field in with_type['fields'] if field.required}
    assert required == {'type'}
    assert not any(field.required for field in without['fields'])
