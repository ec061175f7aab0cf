"""Ketting, the generic hypermedia client, walks abiq by its Link headers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.served import demo_server

REPO = Path(__file__).resolve().parent.parent
JS = REPO / 'tests' / 'js'
MODULES = REPO / '.cache' / 'npm' / 'node_modules'


@pytest.fixture(scope='module')
def node_modules() -> Path:
    """Install Ketting into .cache/npm once (reused); skip without npm."""
    if not (shutil.which('node') and shutil.which('npm')):
        pytest.skip('Node.js and npm are needed to run Ketting')
    installed = subprocess.run(
        [str(JS / 'install.sh')], capture_output=True, text=True, timeout=300
    )
    if installed.returncode != 0:
        pytest.skip(f'npm could not install Ketting: {installed.stderr[-500:]}')
    return MODULES


def test_ketting_deploys_an_appliance_by_links_only(node_modules, tmp_path):
    with demo_server(tmp_path) as served:
        walked = subprocess.run(
            ['node', str(JS / 'ketting_walk.cjs'), served.root, 'demo', 'demo'],
            env={**os.environ, 'NODE_PATH': str(node_modules)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert walked.returncode == 0, walked.stderr
    summary = json.loads(walked.stdout)
    assert {'self', 'first', 'last', 'pending'} <= set(summary['tasksRels'])
    assert summary['vapp'].startswith(served.root + 'virtualappliances/')
    assert summary['stateBefore'] == 'NOT_DEPLOYED'
    assert summary['taskStatus'] in ('pending', 'running')
    # NOTE: the 303 of the finished task led Ketting to the appliance.
    assert summary['result'] == summary['vapp']
    assert summary['stateAfter'] == 'DEPLOYED'
