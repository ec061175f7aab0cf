"""The abiq command: init is idempotent and creates what it says."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from abiq.db import bind
from abiq.db import open_database
from abiq.db.domain import Template
from abiq.db.domain import VirtualAppliance
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import User
from abiq.db.models import utcnow
from abiq.passwords import verify_password
from tests.factories import make_tasks
from tests.served import run_abiq


@pytest.fixture
def env(tmp_path, monkeypatch):
    import os

    environ = dict(os.environ)
    environ['ABIQ_DATABASE_URL'] = f'sqlite:///{tmp_path}/cli.db'
    environ.pop('ABIQ_ADMIN_PASSWORD', None)
    return environ


def test_init_demo_twice_keeps_the_database(env, tmp_path):
    first = run_abiq('init', '--demo', env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert 'created user admin, password: ' in first.stdout
    generated = first.stdout.split('created user admin, password: ')[1].split()[0]
    second = run_abiq('init', '--demo', env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert 'created user' not in second.stdout
    db = open_database(env['ABIQ_DATABASE_URL'])
    bind(db)
    with db.connection_context():
        assert {e.name for e in Enterprise.select()} == {'abiq', 'demo'}
        admin = User.get(User.name == 'admin')
        assert admin.role == 'admin' and verify_password(generated, admin.password_hash)
        demo = User.get(User.name == 'demo')
        assert demo.role == 'user' and verify_password('demo', demo.password_hash)
        assert Template.select().count() == 3
        vapp = VirtualAppliance.get(VirtualAppliance.name == 'demo-app')
        assert vapp.enterprise.name == 'demo'
        assert sorted(vm.name for vm in vapp.machines) == ['db', 'web']


def test_admin_password_from_environment(env, tmp_path):
    env['ABIQ_ADMIN_PASSWORD'] = 's3cret-admin'
    result = run_abiq('init', env=env, cwd=tmp_path)
    assert result.returncode == 0 and 's3cret-admin' not in result.stdout
    db = open_database(env['ABIQ_DATABASE_URL'])
    bind(db)
    with db.connection_context():
        assert verify_password(
            's3cret-admin', User.get(User.name == 'admin').password_hash
        )


def test_bad_setting_exits_2(env, tmp_path):
    env['ABIQ_MAX_PAGE'] = 'lots'
    result = run_abiq('init', env=env, cwd=tmp_path)
    assert result.returncode == 2 and 'ABIQ_MAX_PAGE' in result.stderr


def test_purge_command_deletes_expired_tasks(env, tmp_path):
    assert run_abiq('init', env=env, cwd=tmp_path).returncode == 0
    db = open_database(env['ABIQ_DATABASE_URL'])
    bind(db)
    with db.connection_context():
        admin = User.get(User.name == 'admin')
        make_tasks(
            admin.enterprise,
            admin,
            2,
            status='finished',
            expires_at=utcnow() - dt.timedelta(seconds=1),
        )
        make_tasks(
            admin.enterprise,
            admin,
            1,
            status='finished',
            expires_at=utcnow() + dt.timedelta(hours=1),
        )
    result = run_abiq('purge', env=env, cwd=tmp_path)
    assert result.returncode == 0 and 'purged 2 expired tasks' in result.stdout
    with db.connection_context():
        assert Task.select().count() == 1


def _serve(env: dict[str, str], cwd) -> tuple[subprocess.Popen, int]:
    """Start ``abiq serve`` on a free port; return the process and the port."""
    import socket

    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, '-m', 'abiq.cli', 'serve', '--port', str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return server, port


def test_init_demo_then_serve_answers_the_demo_user(tmp_path):
    """What `make run` does: init --demo, serve, and the root for demo:demo."""
    import base64
    import os
    import urllib.request

    from tests.engine_support import eventually

    env = dict(os.environ, ABIQ_DATABASE_URL=f'sqlite:///{tmp_path}/run.db')
    assert run_abiq('init', '--demo', env=env, cwd=tmp_path).returncode == 0
    server, port = _serve(env, tmp_path)
    request = urllib.request.Request(
        f'http://127.0.0.1:{port}/api/',
        headers={'Authorization': 'Basic ' + base64.b64encode(b'demo:demo').decode()},
    )

    def answered():
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return answer
        except OSError:
            return None

    try:
        answer = eventually(answered, timeout=60)
        assert answer.status == 200
        assert (
            answer.headers['Content-Type'] == 'application/vnd.abiq.api+json; version=2'
        )
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert 'SIMULATOR' in output
