"""The house's shape, checked: layers, and sizes a reader can hold in mind.

Every module of abiq sits on one layer (LAYERS); a module imports from its
own layer and those below, never from above, so the arrows of
docs/contributing.rst's picture all point down. A new module must be given a
layer here: the test fails until it is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ABIQ = Path(__file__).resolve().parents[2] / 'abiq'
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 40

# NOTE: the most specific name wins: 'abiq.tasks.sqlstore' before 'abiq.tasks'.
LAYERS: dict[str, int] = {
    # 0 base: pure values and formats, shared by the server and the client
    **dict.fromkeys(
        (
            'abiq.exceptions',
            'abiq.errors',
            'abiq.statuses',
            'abiq.timestamps',
            'abiq.converters',
            'abiq.caches',
            'abiq.config',
            'abiq.passwords',
            'abiq.mediatypes',
            'abiq.media',
            'abiq.limits',
            'abiq.linkheader',
            'abiq.xmlmap',
            'abiq.kept',
            'abiq.xmlwriter',
            'abiq.logfilters',
            'abiq.xmlcodec',
            'abiq.schemas',
            'abiq.xsdgen',
            'abiq.client',
        ),
        0,
    ),
    # 1 storage and hypervisors
    'abiq.db': 1,
    'abiq.pgnotify': 1,
    'abiq.announcer': 1,
    'abiq.drivers': 1,
    # 2 the task engine (its SQL store and record queries included)
    'abiq.tasks': 2,
    # 3 the domain: what tasks do to appliances and machines
    'abiq.domain': 3,
    # 4 the HTTP edge's parts
    **dict.fromkeys(
        (
            'abiq.signals',
            'abiq.credentials',
            'abiq.auth',
            'abiq.peers',
            'abiq.links',
            'abiq.paging',
            'abiq.preconditions',
            'abiq.compression',
            'abiq.cors',
            'abiq.codec',
            'abiq.idempotency',
            'abiq.finished',
            'abiq.polled',
            'abiq.longpoll',
            # the pages of the HTML view (shown by the codec, as a format is)
            'abiq.html',
        ),
        4,
    ),
    # 5 documents: what each entity looks like, and the registry of entities
    'abiq.representations': 5,
    'abiq.entities': 5,
    # 6 resources (and the OpenAPI document read off them)
    'abiq.resources': 6,
    'abiq.openapi': 6,
    # 7 the per-request policies
    'abiq.middleware': 7,
    # 8 the top: wiring, the app, processes
    # NOTE: the package itself is the facade (abiq.create_app).
    **dict.fromkeys(
        ('abiq', 'abiq.wiring', 'abiq.workers', 'abiq.app', 'abiq.serving', 'abiq.cli'),
        8,
    ),
}
# NOTE: the engine runs on any store: no database, HTTP or notification code.
ENGINE = ('engine', 'runner', 'store', 'memstore', 'rules', 'registry', 'notify')
ENGINE_MAY_NOT = ('abiq.db', 'abiq.pgnotify', 'abiq.errors', 'falcon', 'peewee')


def _name(path: Path) -> str:
    parts = path.relative_to(ABIQ.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {_name(path): path for path in sorted(ABIQ.rglob('*.py'))}


def layer_of(name: str) -> int | None:
    """Return the layer of a module of abiq (None: not given one)."""
    while name:
        if name in LAYERS:
            return LAYERS[name]
        name = name.rpartition('.')[0]
    return None


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _ours(names: set[str]) -> set[str]:
    return {name for name in names if name == 'abiq' or name.startswith('abiq.')}


@pytest.mark.parametrize('name', sorted(MODULES))
def test_every_module_has_a_layer(name):
    assert layer_of(name) is not None, f'give {name} a layer in LAYERS'


@pytest.mark.parametrize('name', sorted(MODULES))
def test_no_import_runs_up_the_layers(name):
    own = layer_of(name)
    upward = sorted(
        other
        for other in _ours(_imports(MODULES[name]))
        if other != 'abiq' and (layer_of(other) or 0) > own
    )
    assert not upward, f'{name} (layer {own}) imports {upward} from above'


@pytest.mark.parametrize('name', [f'abiq.tasks.{module}' for module in ENGINE])
def test_the_engine_imports_no_database_http_or_notifications(name):
    wrong = sorted(
        other for other in _imports(MODULES[name]) if other.startswith(ENGINE_MAY_NOT)
    )
    assert not wrong, f'{name} imports {wrong}'


@pytest.mark.parametrize('name', sorted(MODULES))
def test_modules_and_functions_stay_small(name):
    text = MODULES[name].read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f'{name} is too long'
    long = [
        f'{node.name} ({node.end_lineno - node.lineno + 1} lines)'
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f'{name}: {long}'
