"""A page's form inputs are made from the schemas once per body, not per page."""

from __future__ import annotations

import pytest

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


def test_a_bodys_inputs_are_resolved_once(schemas: SchemaStore) -> None:
    # PERF: a form's inputs follow from the schemas alone (bench/pages.py:
    # resolving them again took about a tenth of a page of 25 tasks)
    assert fields_of(schemas, 'task', 2, ('type',)) is fields_of(
        schemas, 'task', 2, ('type',)
    )
    fields_of.cache_clear()
    view = HtmlView(schemas)
    first = _create_form(view, ('type',))
    second = _create_form(view, ('type',))
    assert first['fields'] == second['fields']
    assert fields_of.cache_info().misses == 1


def test_what_a_form_requires_is_kept_apart(schemas: SchemaStore) -> None:
    view = HtmlView(schemas)
    with_type = _create_form(view, ('type',))
    without = _create_form(view, ())
    required = {field.name for field in with_type['fields'] if field.required}
    assert required == {'type'}
    assert not any(field.required for field in without['fields'])


def test_a_blank_forms_inputs_are_rendered_once_and_a_typed_one_each_time(
    schemas: SchemaStore,
) -> None:
    view = HtmlView(schemas)
    first = _create_form(view, ('type',))
    second = _create_form(view, ('type',))
    assert 'name="type"' in first['inputs'] and ' required' in first['inputs']
    assert second['inputs'] is first['inputs']
    assert _create_form(view, ())['inputs'] != first['inputs']
    typed = dict(first, values={'type': 'BACKUP'}, errors={'type': ['/type: bad']})
    sources = {'enterprise': f'{ROOT}/enterprises'}
    shown = view.inputs.render(typed, sources)
    assert 'value="BACKUP"' in shown and '/type: bad' in shown
    assert 'value="BACKUP"' not in view.inputs.render(first, sources)
