"""``abiq client`` as a person or a script uses it, against a real server."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import orjson
import pytest

from tests.served import demo_server

DEMO = {'ABIQ_USER': 'demo', 'ABIQ_PASSWORD': 'demo'}


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp('client-cli')) as server:
        yield server


def client(served, *args: str, **env: str) -> subprocess.CompletedProcess:
    return served.abiq('client', *args, **{'ABIQ_URL': served.root, **DEMO, **env})


def test_get_follows_rels_and_names_from_the_root(served):
    listing = client(served, 'get', 'virtualappliances', 'demo-app', 'virtualmachines')
    assert listing.returncode == 0, listing.stderr
    header, rule, *rows, total = listing.stdout.splitlines()
    assert header.split() == ['id', 'name', 'state', 'cpu', 'ram', 'ip']
    assert set(rule) <= {'-', ' '}
    assert sorted(row.split()[1] for row in rows) == ['db', 'web']
    assert total == '(2 of 2)'


def test_get_prints_the_document_as_json(served):
    answer = client(served, '--output', 'json', 'get', 'virtualappliances', 'demo-app')
    assert answer.returncode == 0, answer.stderr
    doc = orjson.loads(answer.stdout)
    assert doc['name'] == 'demo-app'
    assert {'self', 'virtualmachines', 'tasks'} <= {
        link['rel'] for link in doc['links']
    }


def test_get_prints_xml_as_the_server_sent_it(served):
    answer = client(served, '--output', 'xml', 'get', 'templates')
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("<?xml version='1.0' encoding='UTF-8'")
    assert '<templates>' in answer.stdout and '<name>debian-12</name>' in answer.stdout


def test_a_word_that_is_neither_rel_nor_item_exits_2(served):
    answer = client(served, 'get', 'virtualappliances', 'no-such-app')
    assert answer.returncode == 2
    assert "no item 'no-such-app'" in answer.stderr


def test_server_errors_exit_1_with_their_codes(served):
    answer = client(served, 'get', 'templates', ABIQ_PASSWORD='wrong')
    assert answer.returncode == 1
    assert answer.stderr.startswith('error: 401-UNAUTHORIZED: ')
    viewer = client(served, 'act', 'templates', 'debian-12', 'deploy')
    assert viewer.returncode == 2 and "no 'deploy' link" in viewer.stderr


def test_an_unreachable_server_exits_5(served):
    answer = client(served, 'get', ABIQ_URL='http://127.0.0.1:9/api/')
    assert answer.returncode == 5 and 'cannot reach' in answer.stderr


def test_act_and_wait_prints_plain_progress_lines_then_lists_the_task(served):
    path = ['virtualappliances', 'demo-app', 'virtualmachines', 'web']
    answer = client(served, 'act', *path, 'deploy', '--wait')
    assert answer.returncode == 0, answer.stderr
    lines = answer.stderr.splitlines()
    assert lines[0].startswith('task ') and lines[0].endswith(
        'pending 0% ALLOCATE (job 1 of 3)'
    )
    assert lines[-1].endswith('finished 100%')
    assert '\r' not in answer.stderr
    card = answer.stdout.split('\n\n')[0].splitlines()
    fields = dict(line.split(None, 1) for line in card)
    assert fields['name'] == 'web' and fields['state'] == 'ON'  # the result
    # the task is listed, in a table and as JSON, with the filters
    listed = client(served, 'tasks', '--type', 'DEPLOY')
    assert listed.returncode == 0 and 'finished  100' in listed.stdout
    as_json = client(served, '--output', 'json', 'tasks', '--status', 'finished')
    assert as_json.returncode == 0, as_json.stderr
    tasks = orjson.loads(as_json.stdout)
    assert tasks and all(item['status'] == 'finished' for item in tasks)
    assert 'DEPLOY' in {item['type'] for item in tasks}
    assert all(any(link['rel'] == 'self' for link in item['links']) for item in tasks)
    none = client(served, '--output', 'json', 'tasks', '--status', 'failed')
    assert orjson.loads(none.stdout) == []


def test_act_and_wait_draws_a_bar_on_a_terminal(served):
    path = ['virtualappliances', 'demo-app', 'virtualmachines', 'db']
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [
                sys.executable,
                '-m',
                'abiq.cli',
                'client',
                'act',
                *path,
                'deploy',
                '--wait',
            ],
            env={**served.env, 'ABIQ_URL': served.root, **DEMO},
            cwd=served.cwd,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
            check=False,
        )
        os.close(follower)
        follower = -1
        drawn = _read_all(leader)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert process.returncode == 0
    assert '\r\x1b[K[' in drawn and '#' * 30 + '] finished 100%' in drawn
    assert drawn.endswith('\n')


def test_a_failed_task_exits_3_with_its_code(tmp_path):
    with demo_server(tmp_path, ABIQ_SIM_FAULTS='POWER_ON:web') as served:
        path = ['virtualappliances', 'demo-app', 'deploy']
        answer = client(served, 'act', *path, '--wait')
    assert answer.returncode == 3
    assert answer.stderr.splitlines()[-1].startswith('error: VM-5: ')


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closed: everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b''.join(chunks).decode()
