"""The engine, the database layer and the drivers import nothing above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ABIQ = Path(__file__).resolve().parents[3] / 'abiq'
BASE = (
    'abiq.exceptions',
    'abiq.statuses',
    'abiq.timestamps',
    'abiq.converters',
    'abiq.caches',
    'abiq.config',
    'abiq.media',
    'abiq.mediatypes',
    'abiq.limits',
    'abiq.xml',
    'abiq.schemas',
)
# NOTE: the one part of the task package that reads and writes the database.
SQL_SIDE = ('sqlstore.py', 'records.py', 'counting.py')
RULES = {
    'tasks': (*BASE, 'abiq.tasks'),
    'tasks-sql': (*BASE, 'abiq.tasks', 'abiq.db'),
    'db': (*BASE, 'abiq.db'),
    'drivers': (*BASE, 'abiq.drivers'),
    'pgnotify': (*BASE, 'abiq.db'),
    'domain': (*BASE, 'abiq.db', 'abiq.drivers', 'abiq.tasks', 'abiq.domain'),
}


def _layer(path: Path) -> str:
    if path.parent.name == 'tasks':
        return 'tasks-sql' if path.name in SQL_SIDE else 'tasks'
    return path.parent.name if path.parent != ABIQ else path.stem


def _modules() -> list[Path]:
    found = [ABIQ / 'pgnotify.py']
    for package in ('tasks', 'db', 'drivers', 'domain'):
        found += sorted((ABIQ / package).glob('*.py'))
    return found


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [name for name in names if name == 'abiq' or name.startswith('abiq.')]


@pytest.mark.parametrize('path', _modules(), ids=lambda path: path.name)
def test_no_import_runs_up_the_layers(path):
    allowed = RULES[_layer(path)]
    # NOTE: a prefix, so abiq.xml allows abiq.xmlmap and abiq.xmlcodec.
    wrong = [name for name in _imports(path) if not name.startswith(allowed)]
    assert not wrong, f'{path.name} imports {wrong}'


@pytest.mark.parametrize('name', ['engine.py', 'runner.py', 'store.py', 'memstore.py'])
def test_the_engine_knows_no_peewee_nor_falcon(name):
    text = (ABIQ / 'tasks' / name).read_text()
    assert 'import peewee' not in text and 'import falcon' not in text
