"""The wheel: installed as users install it, abiq serves JSON and XML.

The wheel is built from a copy of the checkout, installed into a fresh
virtualenv outside it, and run from a folder outside it with no PYTHONPATH,
so nothing is read from the checkout: what works here works from PyPI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from lxml import etree

from abiq.codec import Codec
from abiq.config import Config
from tests.served import serving
from tests.support import VENDOR_TYPE
from tests.support import validate_document

__all__: list[str] = []

CHECKOUT = Path(__file__).resolve().parent.parent
# NOTE: bench/ is copied on purpose: the wheel must leave it out.
_NOT_SOURCE = shutil.ignore_patterns(
    '.git',
    '.venv',
    '.ruff_cache',
    'var',
    'build',
    'dist',
    '*.egg-info',
    '_build',
    '__pycache__',
)
_DEMO = ('demo', 'demo')


def _shell_env() -> dict[str, str]:
    """The environment of a user's shell: no PYTHONPATH, no ABIQ_ settings."""
    # NOTE: the suite runs with PYTHONPATH at the checkout, where an editable
    # install leaves abiq.egg-info: pip would take abiq as installed already.
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(('PYTHON', 'ABIQ_', 'VIRTUAL_ENV'))
    }


def _run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault('env', _shell_env())
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope='module')
def wheel(tmp_path_factory) -> Path:
    """Build the wheel with pip, as a user or a release job would."""
    # NOTE: from a copy: setuptools writes build/ into the tree it builds, and
    # a stale build/lib (say, an old bench/) would land in the next wheel.
    tree = tmp_path_factory.mktemp('source') / 'abiq'
    shutil.copytree(CHECKOUT, tree, symlinks=True, ignore=_NOT_SOURCE)
    out = tmp_path_factory.mktemp('dist')
    _run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', out, tree)
    (found,) = out.glob('abiq-*.whl')
    return found


def test_wheel_holds_abiq_with_its_schemas_and_xsds(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {name.split('/')[0] for name in names}
    assert {top for top in tops if not top.endswith('.dist-info')} == {'abiq'}, tops
    assert 'abiq/py.typed' in names
    data = [*CHECKOUT.glob('schemas/v*/*.json'), *CHECKOUT.glob('xsd/v*/*.xsd')]
    shipped = [path.relative_to(CHECKOUT).as_posix() for path in data]
    assert len(shipped) > 60
    missing = [path for path in shipped if f'abiq/_data/{path}' not in names]
    assert not missing, missing
    # the HTML view's templates and its two static files (API.md section 12)
    pages = [
        *CHECKOUT.glob('abiq/html/templates/*.html'),
        *CHECKOUT.glob('abiq/html/static/*'),
    ]
    page_files = [path.relative_to(CHECKOUT).as_posix() for path in pages]
    assert 'abiq/html/static/abiq.js' in page_files
    assert not [path for path in page_files if path not in names]


@pytest.fixture(scope='module')
def installed(wheel, tmp_path_factory) -> Path:
    """Install the wheel into a new virtualenv; return its ``abiq`` script."""
    venv = tmp_path_factory.mktemp('venv')
    _run(sys.executable, '-m', 'venv', '--without-pip', venv)
    python = venv / 'bin' / 'python'
    pip = (sys.executable, '-m', 'pip', '--python', python)
    _run(*pip, 'install', '-q', '--no-index', '--no-deps', wheel)
    # NOTE: the dependencies come from this interpreter's site-packages, added
    # as a plain path: its .pth files (an editable abiq's among them) are not
    # run, so abiq itself can only come from the wheel. No download needed.
    where = 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
    site = Path(_run(python, '-c', where).stdout.strip())
    deps = {sysconfig.get_paths()['purelib'], sysconfig.get_paths()['platlib']}
    (site / 'zz-dependencies.pth').write_text('\n'.join(sorted(deps)) + '\n')
    return venv / 'bin' / 'abiq'


@pytest.fixture()
def user_env(tmp_path) -> dict[str, str]:
    """A user's shell, with a database in the test's folder."""
    env = _shell_env()
    env['ABIQ_DATABASE_URL'] = f'sqlite:///{tmp_path}/abiq.db'
    env['ABIQ_ADMIN_PASSWORD'] = 'admin-secret'
    return env


def test_installed_abiq_is_the_wheel_not_the_checkout(installed, user_env, tmp_path):
    probe = 'import abiq, sys; print(abiq.__file__); print(*sys.path, sep="\\n")'
    python = installed.parent / 'python'
    lines = _run(python, '-c', probe, env=user_env, cwd=tmp_path).stdout.splitlines()
    assert Path(lines[0]).is_relative_to(installed.parent.parent), lines[0]
    # NOTE: the dependencies' site-packages may lie in the checkout (its
    # .venv); abiq itself must not come from there, as the line above shows.
    deps = {sysconfig.get_paths()['purelib'], sysconfig.get_paths()['platlib']}
    inside = [p for p in lines[1:] if p.startswith(str(CHECKOUT)) and p not in deps]
    assert not inside, inside


@pytest.fixture()
def served(installed, user_env, tmp_path) -> Iterator[str]:
    """Run the installed ``abiq init --demo`` and ``abiq serve``; yield the root."""
    _run(installed, 'init', '--demo', env=user_env, cwd=tmp_path)
    with serving(user_env, tmp_path, command=(str(installed),)) as (root, _):
        yield root


def test_installed_wheel_serves_a_browser_its_page_and_script(served):
    browser = {
        'Accept': 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
    }
    with httpx.Client(auth=_DEMO, timeout=10) as client:
        page = client.get(served, headers=browser)
        assert page.status_code == 200, page.text
        assert page.headers['Content-Type'] == 'text/html; charset=utf-8'
        script = page.text.split('<script src="')[1].split('"')[0]
        asset = client.get(script)
    assert asset.status_code == 200
    assert (
        asset.content
        == (CHECKOUT / 'abiq' / 'html' / 'static' / 'abiq.js').read_bytes()
    )


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_installed_wheel_serves_root_page_and_schema(served, fmt):
    codec = Codec(Config())
    with httpx.Client(auth=_DEMO, timeout=10) as client:
        root = _read(client, codec, served, 'api', fmt)
        page_url = _link(root, 'virtualappliances')
        page = _read(client, codec, page_url, 'virtualappliances', fmt)
        assert page['collection'], page
        schema = client.get(_link(root, 'describedby'))
    assert schema.status_code == 200, schema.text
    if fmt == 'xml':
        assert schema.content == (CHECKOUT / 'xsd' / 'v2' / 'api.xsd').read_bytes()
    else:
        # NOTE: a served JSON Schema names its own URL as $id; the rest is
        # the file's
        served = schema.json()
        assert served.pop('$id') == _link(root, 'describedby')
        shipped = (CHECKOUT / 'schemas' / 'v2' / 'api.json').read_bytes()
        assert served == {k: v for k, v in orjson.loads(shipped).items() if k != '$id'}
    if fmt == 'xml':
        etree.XMLSchema(etree.fromstring(schema.content))


def _read(client: httpx.Client, codec: Codec, url: str, name: str, fmt: str):
    answer = client.get(url, headers={'Accept': f'application/vnd.abiq.{name}+{fmt}'})
    assert answer.status_code == 200, answer.text
    match = VENDOR_TYPE.match(answer.headers['Content-Type'])
    assert match and (match['name'], match['fmt']) == (name, fmt), match
    return validate_document(codec, answer.content, name, fmt, int(match['v']))


def _link(doc: dict, rel: str) -> str:
    (href,) = [link['href'] for link in doc['links'] if link['rel'] == rel]
    return href
