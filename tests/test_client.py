"""The Python client against the real app in this process: from the root to
a deployed machine by links only, in JSON and XML, in version 2 and 1."""

from __future__ import annotations

import pytest

from abiq.client import NoSuchLink
from abiq.client import Task
from abiq.client import TaskCancelled
from abiq.client import TaskFailed
from abiq.client import WaitTimeout
from abiq.client.errors import Conflict
from abiq.client.errors import NotFound
from abiq.client.errors import PreconditionFailed
from abiq.client.errors import Unauthorized
from abiq.db.models import Task as TaskRow
from tests.client_support import client_for
from tests.conftest import PASSWORD
from tests.conftest import make_app
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.engine_support import running_workers
from tests.factories import make_tasks
from tests.support import Api
from tests.support import basic

ALICE = ('alice', PASSWORD)


@pytest.fixture
def appliance(app, world):
    """Appliance ``shop`` of acme with machines ``web`` and ``db``."""
    admin = Api(app, app.services.codec, basic('admin'))
    template = make_template(admin)
    alice = Api(app, app.services.codec, basic('alice'))
    return make_vapp(alice, template.link('self'), ['web', 'db'], vapp='shop')


def machine(client, name: str = 'web'):
    shop = client.root().follow('virtualappliances').find(name='shop')
    return shop.follow('virtualmachines').find(name=name)


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_from_the_root_to_a_deployed_machine(app, appliance, fmt):
    client, transport = client_for(app, ALICE, format=fmt)
    web = machine(client)
    assert web['state'] == 'NOT_ALLOCATED' and web.has('deploy')
    task = web.act('deploy')
    assert isinstance(task, Task) and task.status == 202
    assert task['type'] == 'DEPLOY' and task.state == 'pending'
    seen = []
    with running_workers(app.services.engine):
        deployed = task.wait(timeout=60, on_progress=seen.append)
    assert deployed.media.name == 'virtualmachine'
    assert deployed.media.format == fmt and deployed.media.version == 2
    assert deployed['state'] == 'ON' and deployed['name'] == 'web'
    assert deployed.has('poweroff') and not deployed.has('deploy')
    # progress: the callbacks saw the task move, job by job, to 100
    assert seen[0].state == 'pending' and seen[-1].state == 'finished'
    progress = [t['progress'] for t in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    jobs = [job['type'] for job in seen[-1]['jobs']]
    assert jobs == ['ALLOCATE', 'CONFIGURE', 'POWER_ON']
    # the end came from the 303, and long polls were used, not a busy loop
    assert ('GET', 303) in transport.seen
    assert len(transport.seen) < 40


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_pinned_to_version_1(app, appliance, fmt):
    client, _ = client_for(app, ALICE, format=fmt, version=1)
    root = client.root()
    assert root.media.version == 1 and root.media.format == fmt
    web = machine(client)
    assert web.media.version == 1
    task = web.act('deploy')
    assert task.media.version == 1 and 'progress' not in task.data
    seen = []
    with running_workers(app.services.engine):
        deployed = task.wait(timeout=60, on_progress=seen.append)
    assert deployed.media.name == 'virtualmachine' and deployed.media.version == 1
    assert deployed['state'] == 'ON'
    assert seen[-1]['status'] == 'finished'


def test_json_and_xml_give_the_same_objects(app, appliance):
    json_client, _ = client_for(app, ALICE, format='json')
    xml_client, _ = client_for(app, ALICE, format='xml')

    def same(json_doc, xml_doc) -> None:
        fields = {k: v for k, v in json_doc.data.items() if k != 'collection'}
        assert fields == {k: v for k, v in xml_doc.data.items() if k != 'collection'}

        def links(doc):
            # describedby names each format's own schema (JSON Schema, XSD)
            return [
                (link.rel, link.href, link.title)
                for link in doc.links
                if link.rel != 'describedby'
            ]

        assert links(json_doc) == links(xml_doc)
        # link types name each document's own format
        assert {link.media.format for link in xml_doc.links if link.media} == {'xml'}

    for rel in ('virtualappliances', 'templates', 'currentuser'):
        json_doc = json_client.root().follow(rel)
        xml_doc = xml_client.root().follow(rel)
        same(json_doc, xml_doc)
        assert xml_doc.link('describedby').href.endswith('.xsd')
        if 'collection' in json_doc.data:
            assert len(json_doc.items) == len(xml_doc.items) > 0
            for json_item, xml_item in zip(json_doc.items, xml_doc.items, strict=True):
                same(json_item, xml_item)


def test_collections_iterate_every_page(app, world):
    ids = make_tasks(world.acme, world.alice, 60)
    client, transport = client_for(app, ALICE)
    tasks = client.root().follow('tasks')
    assert len(tasks) == 60 and len(tasks.items) == 25
    assert sorted(task['id'] for task in tasks) == sorted(ids)
    assert sum(1 for method, _ in transport.seen if method == 'GET') == 4
    assert all(isinstance(task, Task) for task in tasks.items)


def test_errors_are_typed_and_keep_the_codes(app, appliance):
    client, _ = client_for(app, ALICE)
    web = machine(client)
    web.act('deploy')
    with pytest.raises(NoSuchLink) as no_link:
        web.refresh().act('deploy')  # locked: the link is gone
    assert no_link.value.rel == 'deploy'
    with pytest.raises(Conflict) as conflict:
        web.act('deploy')  # a stale link: the server refuses
    assert conflict.value.code == 'VM-2' and conflict.value.status == 409
    bob, _ = client_for(app, ('bob', PASSWORD))
    with pytest.raises(NotFound) as not_found:
        bob.get(web.link('self'))
    assert not_found.value.code == '404-NOT-FOUND'
    stranger, _ = client_for(app, ('alice', 'wrong'))
    with pytest.raises(Unauthorized) as refused:
        stranger.root()
    assert refused.value.code == '401-UNAUTHORIZED'


def test_a_failed_task_raises_with_its_errors(config, world):
    app = make_app(config, sim_faults='POWER_ON:web')
    admin = Api(app, app.services.codec, basic('admin'))
    template = make_template(admin)
    alice = Api(app, app.services.codec, basic('alice'))
    make_vapp(alice, template.link('self'), ['web'], vapp='shop')
    client, _ = client_for(app, ALICE)
    task = machine(client).act('deploy')
    with running_workers(app.services.engine), pytest.raises(TaskFailed) as failed:
        task.wait(timeout=60)
    assert failed.value.code == 'VM-5'
    assert failed.value.task.has('retry')


def test_a_cancelled_task_raises_task_cancelled(app, world):
    admin, _ = client_for(app, ('admin', PASSWORD))
    task = admin.root().act('diagnostics', {'jobs': 3, 'seconds': 5})
    cancelled = task.act('cancel')  # pending: cancelled at once
    assert cancelled.state == 'cancelled'
    with pytest.raises(TaskCancelled) as raised:
        task.wait(timeout=30)
    assert raised.value.task.state == 'cancelled'
    assert raised.value.task.has('retry')


def test_wait_falls_back_to_plain_polls_when_the_server_has_no_long_poll_free(
    config, world
):
    app = make_app(config, max_waiters=0)  # every Prefer: wait gets 503
    client, transport = client_for(app, ('admin', PASSWORD))
    # NOTE: long enough that the first poll finds it running
    task = client.root().act('diagnostics', {'jobs': 1, 'seconds': 1})
    with running_workers(app.services.engine):
        ended = task.wait(timeout=30)
    assert ended.state == 'finished'
    assert ('GET', 503) in transport.seen  # its Retry-After was honoured
    assert transport.seen[-1] == ('GET', 200)


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_edits_and_actions_send_the_etag_they_read(app, appliance, fmt):
    client, _ = client_for(app, ALICE, format=fmt)
    web = machine(client).refresh()
    assert web.headers['ETag']
    other, _ = client_for(app, ALICE)
    machine(other).refresh().edit(cpu=3)  # someone else changes it meanwhile
    for write in (lambda: web.edit(cpu=2), lambda: web.act('deploy'), web.delete):
        with pytest.raises(PreconditionFailed) as refused:
            write()
        assert refused.value.status == 412
        assert refused.value.code == '412-PRECONDITION-FAILED'
    fresh = web.refresh()
    assert fresh['cpu'] == 3 and fresh['state'] == 'NOT_ALLOCATED'
    assert fresh.edit(cpu=2)['cpu'] == 2
    task = web.refresh().act('deploy')
    assert task.status == 202
    # the task as accepted is the task as read: its tag holds for cancel
    assert task.act('cancel').state == 'cancelled'


def test_wait_gives_up_at_its_timeout(app, appliance):
    client, _ = client_for(app, ALICE)
    task = machine(client).act('deploy')  # no workers run: it stays pending
    with pytest.raises(WaitTimeout) as timed_out:
        task.wait(timeout=1)
    assert timed_out.value.task.state == 'pending'


def test_a_retried_post_after_a_dropped_connection_starts_one_task(app, appliance):
    client, transport = client_for(app, ALICE, drop_after=['POST'])
    before = TaskRow.select().count()
    task = machine(client).act('deploy')
    assert task.status == 202
    posts = [status for method, status in transport.seen if method == 'POST']
    assert posts == [202, 202]  # the first answer was lost, then replayed
    assert task.headers['Idempotent-Replayed'] == 'true'
    assert TaskRow.select().count() == before + 1


def test_a_bearer_token_in_xml_runs_a_diagnostic(app, world):
    admin = Api(app, app.services.codec, basic('admin'))
    me = admin.get(admin.get('/').link('currentuser'))
    token = admin.post(
        me.link('tokens'),
        {'name': 'client'},
        content_type='application/vnd.abiq.token+json',
        status=201,
    ).doc['secret']
    client, _ = client_for(app, token, format='xml')
    task = client.root().act('diagnostics', {'jobs': 2, 'seconds': 0})
    with running_workers(app.services.engine):
        ended = task.wait(timeout=60)
    assert ended is not task and ended.state == 'finished'
    assert ended.status == 200 and [job['status'] for job in ended['jobs']] == [
        'finished',
        'finished',
    ]
