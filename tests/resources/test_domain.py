"""The cloud domain through links only: appliances, machines, actions, locks."""

from __future__ import annotations

import threading

import pytest

from abiq.db.domain import SimMachine
from abiq.db.domain import VirtualMachine
from abiq.db.models import TaskJob
from tests.domain_support import link_of
from tests.domain_support import machines_of
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.domain_support import wait_for_end
from tests.engine_support import running_workers
from tests.support import Api
from tests.support import basic


@pytest.fixture
def admin(as_user):
    return as_user('admin')


@pytest.fixture
def sim(app):
    """The app's simulated driver; latency and faults restored afterwards."""
    driver = app.services.engine.driver
    saved = (driver.latency, driver.faults)
    yield driver
    driver.latency, driver.faults = saved


@pytest.mark.parametrize('fmt', ['json', 'xml'])
def test_vapp_lifecycle_through_links(api, admin, world, app, sim, fmt):
    sim.latency = 0.02
    template = make_template(admin, cpu=2, ram=1024)
    vapp = make_vapp(api, template.link('self'), ['web', 'app', 'db'])
    assert vapp.doc['state'] == 'NOT_DEPLOYED' and not vapp.has('undeploy')
    accept = f'application/vnd.abiq.task+{fmt}'
    started = api.post(vapp.link('deploy'), accept=accept, status=202)
    assert started.media[:2] == ('task', fmt)
    assert [job['type'] for job in started.doc['jobs']] == [
        'ALLOCATE',
        'CONFIGURE',
        'POWER_ON',
    ] * 3
    locked = api.get(vapp.link('self'), status=200)
    assert locked.doc['state'] == 'DEPLOYING' and not locked.has('deploy')
    assert {vm['state'] for vm in machines_of(api, vapp)} == {'LOCKED'}
    with running_workers(app.services.engine):
        seen = wait_for_end(api, started.link('self'), accept)
        progress = [answer.doc['progress'] for answer in seen]
        assert progress == sorted(progress) and any(0 < p < 100 for p in progress)
        assert seen[-1].status == 303
        result = api.get(seen[-1].headers['Location'], status=200)
        assert result.doc['state'] == 'DEPLOYED' and result.has('undeploy')
        vms = machines_of(api, vapp)
        assert {vm['state'] for vm in vms} == {'ON'} and all(vm['ip'] for vm in vms)

        off = api.post(link_of(vms[0], 'poweroff'), status=202)
        done = wait_for_end(api, off.link('self'))[-1]
        assert done.status == 303
        assert api.get(done.headers['Location'], status=200).doc['state'] == 'OFF'
        conflict = api.post(link_of(vms[0], 'poweroff'), status=409)
        assert conflict.codes == ['VM-3']

        vm = api.get(link_of(vms[1], 'self'), status=200)
        change = api.put(
            vm.link('edit'),
            {'cpu': 4, 'ram': 2048},
            content_type='application/vnd.abiq.virtualmachine+json',
            accept='application/vnd.abiq.virtualmachine+json',
            status=202,
        )
        assert change.media[0] == 'task' and change.doc['type'] == 'RECONFIGURE'
        wait_for_end(api, change.link('self'))
        vm = api.get(vm.link('self'), status=200)
        assert (vm.doc['cpu'], vm.doc['ram']) == (4, 2048)
        machine = SimMachine.get(SimMachine.name == f'abiq-{vm.doc["id"]}-app')
        assert (machine.cpu, machine.ram, machine.running) == (4, 2048, True)

        undeploy = api.post(result.link('undeploy'), status=202)
        assert wait_for_end(api, undeploy.link('self'))[-1].status == 303
    assert {vm['state'] for vm in machines_of(api, vapp)} == {'NOT_ALLOCATED'}
    assert SimMachine.select().count() == 0
    api.delete(api.get(vapp.link('self')).link('edit'), status=204)
    assert api.get(vapp.link('self'), status=404).codes == ['404-NOT-FOUND']


def test_fault_fails_the_vapp_task_and_retry_resumes(api, admin, world, app, sim):
    sim.faults = (('POWER_ON', 'fail-*'),)
    template = make_template(admin)
    vapp = make_vapp(api, template.link('self'), ['ok-1', 'fail-2', 'ok-3'])
    started = api.post(vapp.link('deploy'), status=202)
    with running_workers(app.services.engine):
        failed = wait_for_end(api, started.link('self'))[-1]
        assert failed.doc['status'] == 'failed'
        error = failed.doc['errors'][0]
        assert error['code'] == 'VM-5'
        assert 'fail-2' in error['message'] and 'POWER_ON' in error['message']
        assert api.get(vapp.link('self')).doc['state'] == 'NEEDS_SYNC'
        statuses = [job['status'] for job in failed.doc['jobs']]
        assert statuses == ['finished'] * 5 + ['failed'] + ['pending'] * 3
        sim.faults = ()
        api.post(failed.link('retry'), status=202)
        done = wait_for_end(api, started.link('self'))[-1]
    assert done.status == 303 and done.doc['attempt'] == 2
    assert api.get(vapp.link('self')).doc['state'] == 'DEPLOYED'
    assert SimMachine.select().count() == 3
    runs = [
        job.runs
        for job in TaskJob.select()
        .where(TaskJob.task == started.doc['id'])
        .order_by(TaskJob.position)
    ]
    assert runs == [1, 1, 1, 1, 1, 2, 1, 1, 1]
    assert (
        VirtualMachine.select().where(VirtualMachine.lock_task.is_null(False)).count()
        == 0
    )


def test_concurrent_actions_on_one_vm_take_one_lock(api, admin, world, app):
    template = make_template(admin)
    vapp = make_vapp(api, template.link('self'), ['solo'])
    deploy = link_of(machines_of(api, vapp)[0], 'deploy')
    answers = []
    barrier = threading.Barrier(8)

    def act() -> None:
        client = Api(app, app.services.codec, basic('alice'))
        barrier.wait()
        answers.append(client.post(deploy))

    threads = [threading.Thread(target=act) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [202] + [409] * 7
    assert all(a.codes == ['VM-2'] for a in answers if a.status == 409)
    vm = machines_of(api, vapp)[0]
    assert vm['state'] == 'LOCKED' and link_of(vm, 'deploy') is None


def test_cancelled_pending_deploy_releases_the_locks(api, admin, world):
    template = make_template(admin)
    vapp = make_vapp(api, template.link('self'), ['a', 'b'])
    started = api.post(vapp.link('deploy'), status=202)
    api.post(started.link('cancel'), status=200)
    after = api.get(vapp.link('self'), status=200)
    assert after.doc['state'] == 'NEEDS_SYNC' and after.has('deploy')
    assert {vm['state'] for vm in machines_of(api, vapp)} == {'NOT_ALLOCATED'}


def test_other_tenants_get_404_and_viewers_403(api, as_user, admin, world, app):
    template = make_template(admin)
    vapp = make_vapp(api, template.link('self'), ['x'])
    vm = machines_of(api, vapp)[0]
    urls = [
        vapp.link('self'),
        vapp.link('virtualmachines'),
        vapp.link('tasks'),
        vapp.link('deploy'),
        link_of(vm, 'self'),
        link_of(vm, 'tasks'),
        link_of(vm, 'deploy'),
    ]
    bob, vera = as_user('bob'), as_user('vera')
    for url in urls:
        method = 'POST' if url.endswith('/deploy') else 'GET'
        assert bob.request(method, url, status=404).codes == ['404-NOT-FOUND']
    assert api.get(api.get('/').link('virtualappliances')).doc['totalSize'] == 1
    assert bob.get(bob.get('/').link('virtualappliances')).doc['totalSize'] == 0
    seen = vera.get(vapp.link('self'), status=200)
    assert not seen.has('deploy') and not seen.has('edit')
    for url in (vapp.link('deploy'), link_of(vm, 'deploy')):
        assert vera.post(url, status=403).codes == ['403-FORBIDDEN']
    assert vera.delete(link_of(vm, 'self'), status=403).codes == ['403-FORBIDDEN']
    body = {'name': 'y', 'links': [{'rel': 'template', 'href': template.link('self')}]}
    vms = vera.get(vapp.link('virtualmachines'), status=200)
    assert not vms.has('create')
    denied = vera.post(
        vapp.link('virtualmachines'), body, content_type='application/json', status=403
    )
    assert denied.codes == ['403-FORBIDDEN']
    assert bob.put(
        link_of(vm, 'self'), {'cpu': 2}, content_type='application/json', status=404
    ).codes == ['404-NOT-FOUND']


def test_templates_are_admin_managed(api, admin, world):
    templates = api.get(api.get('/').link('templates'), status=200)
    assert not templates.has('create')
    denied = api.post(
        api.get(admin.get('/').link('templates')).link('self'),
        {'name': 'x'},
        content_type='application/json',
        status=403,
    )
    assert denied.codes == ['403-FORBIDDEN']
    created = make_template(admin, name='alpine')
    assert api.get(created.link('self'), status=200).doc['name'] == 'alpine'
    again = admin.post(
        admin.get(admin.get('/').link('templates')).link('create'),
        {'name': 'alpine'},
        content_type='application/json',
        status=409,
    )
    assert again.codes == ['TEMPLATE-1']
