"""The domain scenario with ``ABIQ_DRIVER=libvirt`` against ``test:///default``:
libvirt's domains must match what the API says (names, vCPUs, memory, power).

The test hypervisor's machines live in this process and every connection of
it sees them (see abiq/drivers/libvirt.py), so a connection of the test's own
reads what the app's workers did through the driver's.
"""

from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.domain_support import api_machines
from tests.domain_support import hypervisor_machines
from tests.domain_support import link_of
from tests.domain_support import machines_of
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.domain_support import wait_for_end
from tests.engine_support import running_workers
from tests.support import Api
from tests.support import basic

libvirt = pytest.importorskip(
    'libvirt',
    reason="libvirt-python is not installed (pip install -e '.[libvirt]'; it "
    'builds against the libvirt-dev and pkg-config system packages, which '
    '.ci/run installs)',
)

URI = 'test:///default'
VM_JSON = 'application/vnd.abiq.virtualmachine+json'


@pytest.fixture
def libvirt_app(config, world):
    """An app whose engine drives test:///default."""
    return make_app(config, driver='libvirt', libvirt_uri=URI)


def _finish(api: Api, task) -> None:
    """Wait for a task and check it succeeded (a 303 to its result)."""
    assert wait_for_end(api, task.link('self'))[-1].status == 303


def _reconfigure(api: Api, vm: dict, cpu: int, ram: int) -> None:
    edit = api.get(link_of(vm, 'self'), status=200).link('edit')
    _finish(
        api, api.put(edit, {'cpu': cpu, 'ram': ram}, content_type=VM_JSON, status=202)
    )


def _name(vm: dict) -> str:
    return f'abiq-{vm["id"]}-{vm["name"]}'


def test_vapp_scenario_matches_the_hypervisor(libvirt_app, hypervisor):
    engine = libvirt_app.services.engine
    assert engine.driver.label == f'libvirt ({URI})'
    api = Api(libvirt_app, libvirt_app.services.codec, basic('alice'))
    template = make_template(api.as_user(basic('admin')), cpu=2, ram=1024)
    vapp = make_vapp(api, template.link('self'), ['web', 'app', 'db'])
    assert hypervisor_machines(hypervisor) == {}

    with running_workers(engine):
        _finish(api, api.post(vapp.link('deploy'), status=202))
        deployed = api_machines(api, vapp)
        assert len(deployed) == 3
        assert hypervisor_machines(hypervisor) == deployed
        assert set(deployed.values()) == {(2, 1024, True)}

        web, app, db = machines_of(api, vapp)
        _finish(api, api.post(link_of(web, 'poweroff'), status=202))
        assert hypervisor_machines(hypervisor) == api_machines(api, vapp)
        assert hypervisor_machines(hypervisor)[_name(web)] == (2, 1024, False)

        # NOTE: one running machine grown past its running maximum, one off
        # machine shrunk: both reach the persistent definition.
        _reconfigure(api, app, 4, 2048)
        _reconfigure(api, web, 1, 512)
        assert hypervisor_machines(hypervisor) == api_machines(api, vapp)
        assert hypervisor_machines(hypervisor)[_name(app)] == (4, 2048, True)
        assert hypervisor_machines(hypervisor)[_name(web)] == (1, 512, False)
        assert hypervisor_machines(hypervisor)[_name(db)] == (2, 1024, True)

        undeploy = api.get(vapp.link('self'), status=200).link('undeploy')
        _finish(api, api.post(undeploy, status=202))
        assert {vm['state'] for vm in machines_of(api, vapp)} == {'NOT_ALLOCATED'}
        assert hypervisor_machines(hypervisor) == api_machines(api, vapp) == {}

    api.delete(api.get(vapp.link('self'), status=200).link('edit'), status=204)
    api.get(vapp.link('self'), status=404)
    assert hypervisor_machines(hypervisor) == {}


def test_a_machine_deleted_while_deployed_leaves_the_hypervisor(
    libvirt_app, hypervisor
):
    engine = libvirt_app.services.engine
    api = Api(libvirt_app, libvirt_app.services.codec, basic('alice'))
    template = make_template(api.as_user(basic('admin')))
    vapp = make_vapp(api, template.link('self'), ['keep', 'drop'])
    with running_workers(engine):
        _finish(api, api.post(vapp.link('deploy'), status=202))
        keep, drop = machines_of(api, vapp)
        removed = api.delete(link_of(drop, 'edit'), status=202)
        wait_for_end(api, removed.link('self'))
        assert set(hypervisor_machines(hypervisor)) == {_name(keep)}
        assert hypervisor_machines(hypervisor) == api_machines(api, vapp)
