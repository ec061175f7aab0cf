"""The domain scenario with ``ABIQ_DRIVER=libvirt`` against ``test:///default``:
libvirt's domains must match what the API says (names, vCPUs, memory, power)."""

from __future__ import annotations

import pytest
from lxml import etree

from abiq.drivers.base import DriverError
from abiq.drivers.base import MachineSpec
from tests.conftest import make_app
from tests.domain_support import link_of
from tests.domain_support import machines_of
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.engine_support import running_workers
from tests.resources.test_domain import wait_for_end
from tests.support import Api
from tests.support import basic

libvirt = pytest.importorskip(
    'libvirt',
    reason="libvirt-python is not installed (pip install -e '.[libvirt]', "
    'needs the libvirt-dev and pkg-config system packages; .ci/run installs them)',
)

URI = 'test:///default'
VM_JSON = 'application/vnd.abiq.virtualmachine+json'


@pytest.fixture
def hypervisor():
    """The test hypervisor's connection; abiq's domains removed around the test
    (its state is shared by every connection of this process)."""
    conn = libvirt.open(URI)

    def clean() -> None:
        for domain in conn.listAllDomains():
            if domain.name().startswith('abiq-'):
                if domain.isActive():
                    domain.destroy()
                domain.undefine()

    clean()
    yield conn
    clean()
    conn.close()


def _domains(conn) -> dict[str, tuple[int, int, bool]]:
    """Each abiq domain's configured vCPUs and memory (MiB), and whether it runs.

    The persistent definition is what a reconfigure changes; growing a running
    domain past its maximum reaches the live figures at its next power cycle.
    """
    found = {}
    for domain in conn.listAllDomains():
        if domain.name().startswith('abiq-'):
            config = etree.fromstring(
                domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).encode()
            )
            vcpus = int(config.findtext('vcpu'))
            memory_kib = int(config.findtext('currentMemory'))
            found[domain.name()] = (vcpus, memory_kib // 1024, bool(domain.isActive()))
    return found


def _api_view(api: Api, vapp) -> dict[str, tuple[int, int, bool]]:
    view = {}
    for vm in machines_of(api, vapp):
        if vm['state'] in ('ON', 'OFF', 'ALLOCATED'):
            name = f'abiq-{vm["id"]}-{vm["name"]}'
            view[name] = (vm['cpu'], vm['ram'], vm['state'] == 'ON')
    return view


def test_vapp_scenario_matches_the_hypervisor(config, world, hypervisor):
    app = make_app(config, driver='libvirt', libvirt_uri=URI)
    assert 'libvirt' in app.services.engine.driver.label
    api = Api(app, app.services.codec, basic('alice'))
    admin = api.as_user(basic('admin'))
    template = make_template(admin, cpu=2, ram=1024)
    vapp = make_vapp(api, template.link('self'), ['web', 'app', 'db'])
    started = api.post(vapp.link('deploy'), status=202)
    with running_workers(app.services.engine):
        assert wait_for_end(api, started.link('self'))[-1].status == 303
        assert len(_domains(hypervisor)) == 3
        assert _domains(hypervisor) == _api_view(api, vapp)
        assert {running for *_, running in _domains(hypervisor).values()} == {True}

        vms = machines_of(api, vapp)
        off = api.post(link_of(vms[0], 'poweroff'), status=202)
        assert wait_for_end(api, off.link('self'))[-1].status == 303
        assert _domains(hypervisor) == _api_view(api, vapp)
        assert sorted(r for *_, r in _domains(hypervisor).values()) == [
            False,
            True,
            True,
        ]

        vm = api.get(link_of(vms[1], 'self'), status=200)
        change = api.put(
            vm.link('edit'), {'cpu': 4, 'ram': 2048}, content_type=VM_JSON, status=202
        )
        wait_for_end(api, change.link('self'))
        assert api.get(vm.link('self')).doc['cpu'] == 4
        assert _domains(hypervisor) == _api_view(api, vapp)
        assert _domains(hypervisor)[f'abiq-{vm.doc["id"]}-app'] == (4, 2048, True)

        undeploy = api.post(api.get(vapp.link('self')).link('undeploy'), status=202)
        assert wait_for_end(api, undeploy.link('self'))[-1].status == 303
    assert _domains(hypervisor) == {}
    api.delete(api.get(vapp.link('self')).link('edit'), status=204)


def test_a_job_that_runs_twice_defines_one_domain(config, world, hypervisor):
    app = make_app(config, driver='libvirt', libvirt_uri=URI)
    driver = app.services.engine.driver

    spec = MachineSpec('abiq-99-twice', cpu=1, ram=256, disk=5)
    driver.define(spec)
    driver.define(spec)
    driver.start(spec.name)
    driver.start(spec.name)
    assert _domains(hypervisor) == {'abiq-99-twice': (1, 256, True)}
    driver.reset(spec.name)
    driver.stop(spec.name)
    driver.stop(spec.name)
    driver.set_resources(spec.name, 3, 768)
    assert driver.state(spec.name).cpu == 3
    assert _domains(hypervisor) == {'abiq-99-twice': (3, 768, False)}
    driver.undefine(spec.name)
    driver.undefine(spec.name)
    assert driver.state(spec.name) is None
    with pytest.raises(DriverError, match='not defined'):
        driver.start(spec.name)
    with pytest.raises(DriverError, match='not running'):
        driver.define(spec)
        driver.reset(spec.name)
    driver.undefine(spec.name)
