"""The served OpenAPI document passes spectral's ``spectral:oas`` ruleset.

spectral (npm ``@stoplight/spectral-cli``) is installed on first use into
``.cache/npm-spectral`` under the checkout (ignored by git) and reused after.
The test is skipped only when npm is missing or cannot reach its registry.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import sqlite_database

PACKAGE = '@stoplight/spectral-cli@6.16.3'
PREFIX = Path(__file__).resolve().parent.parent / '.cache' / 'npm-spectral'
SPECTRAL = PREFIX / 'node_modules' / '.bin' / 'spectral'
# What npm says when the registry cannot be reached (not a failure of ours).
OFFLINE = ('ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNREFUSED', 'ENETUNREACH')


@pytest.fixture
def database_url(tmp_path):
    # NOTE: the document is the same on every database.
    with sqlite_database(tmp_path) as url:
        yield url


def _spectral() -> Path:
    if SPECTRAL.exists():
        return SPECTRAL
    npm = shutil.which('npm')
    if npm is None:
        pytest.skip('npm is not installed: spectral cannot be installed')
    PREFIX.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, 'install', '--prefix', str(PREFIX), '--no-audit', '--no-fund', PACKAGE],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 and any(code in done.stderr for code in OFFLINE):
        pytest.skip(f'npm cannot reach its registry: {done.stderr[-300:]}')
    assert done.returncode == 0, done.stderr[-2000:]
    return SPECTRAL


def test_the_document_has_no_spectral_oas_error_or_warning(api, world, tmp_path):
    spectral = _spectral()
    href = api.get('/', status=200).link('service-desc')
    document = tmp_path / 'openapi.json'
    document.write_bytes(api.as_user(None).get(href, status=200).body)
    ruleset = tmp_path / '.spectral.yaml'
    ruleset.write_text('extends: ["spectral:oas"]\n')
    found = tmp_path / 'found.json'
    done = subprocess.run(
        [
            str(spectral),
            'lint',
            str(document),
            '--ruleset',
            str(ruleset),
            '--format',
            'json',
            '--output',
            str(found),
            '--fail-severity',
            'hint',
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    problems = json.loads(found.read_text()) if found.exists() else None
    assert problems == [], (problems or done.stdout + done.stderr)[:50]
    assert done.returncode == 0, done.stdout + done.stderr
