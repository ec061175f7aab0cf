"""The libvirt driver against libvirt's test hypervisor (``test:///default``).

Every operation must be idempotent against the hypervisor's real state, and
what the driver reports must be what an independent connection reads.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from lxml import etree

from abiq.drivers.base import DriverError
from abiq.drivers.base import MachineSpec
from abiq.drivers.base import MachineState
from tests.domain_support import hypervisor_machines

libvirt = pytest.importorskip(
    'libvirt',
    reason="libvirt-python is not installed (pip install -e '.[libvirt]'; it "
    'builds against the libvirt-dev and pkg-config system packages, which '
    '.ci/run installs)',
)

from abiq.drivers.libvirt import LibvirtDriver  # noqa: E402
from abiq.drivers.libvirt import domain_xml  # noqa: E402

URI = 'test:///default'
SPEC = MachineSpec('abiq-1-web', cpu=2, ram=512, disk=10, hostname='web')


@pytest.fixture
def driver(hypervisor) -> LibvirtDriver:
    return LibvirtDriver(URI)


@pytest.fixture
def defined(driver) -> LibvirtDriver:
    """A driver with SPEC defined (off)."""
    driver.define(SPEC)
    return driver


def test_label_names_libvirt_and_the_uri():
    assert LibvirtDriver('qemu:///system').label == 'libvirt (qemu:///system)'


def test_the_connection_opens_lazily():
    driver = LibvirtDriver('test:///no/such/file.xml')  # NOTE: no error yet
    with pytest.raises(DriverError, match='cannot connect to test:///no/such'):
        driver.state('abiq-1-web')


def test_define_is_idempotent(driver, hypervisor):
    assert driver.state(SPEC.name) is None
    driver.define(SPEC)
    driver.define(SPEC)
    assert hypervisor_machines(hypervisor) == {SPEC.name: (2, 512, False)}
    assert driver.state(SPEC.name) == MachineState(SPEC.name, 2, 512, False)


def test_define_leaves_an_existing_machine_alone(defined, hypervisor):
    defined.define(MachineSpec(SPEC.name, cpu=8, ram=4096, disk=10))
    assert hypervisor_machines(hypervisor) == {SPEC.name: (2, 512, False)}


def test_the_domain_type_follows_the_hypervisor(defined, hypervisor):
    domain = hypervisor.lookupByName(SPEC.name)
    assert etree.fromstring(domain.XMLDesc(0).encode()).get('type') == 'test'


def test_domain_xml_describes_the_machine_for_kvm():
    domain = etree.fromstring(domain_xml(SPEC, 'kvm'))
    assert domain.get('type') == 'kvm'
    assert domain.findtext('name') == SPEC.name
    assert (domain.findtext('vcpu'), domain.findtext('memory')) == ('2', '512')
    assert domain.find('memory').get('unit') == 'MiB'
    disk = domain.find('devices/disk')
    assert disk.find('source').get('file').endswith(f'/{SPEC.name}.qcow2')
    assert disk.find('target').attrib == {'dev': 'vda', 'bus': 'virtio'}
    machine = domain.find('metadata/{*}machine')
    assert machine.attrib == {'os': 'linux', 'disk': '10', 'hostname': 'web'}


def test_domain_xml_escapes_every_value():
    hostile = MachineSpec(
        'abiq-2-a<b>&\'"', 1, 64, 1, os='</os><devices/>', hostname='"><x/>'
    )
    domain = etree.fromstring(domain_xml(hostile, 'test'))
    assert domain.findtext('name') == hostile.name
    machine = domain.find('metadata/{*}machine')
    assert (machine.get('os'), machine.get('hostname')) == (hostile.os, '"><x/>')
    assert len(domain.findall('devices')) == 1


@pytest.mark.parametrize('name', ['abiq-3-a/../b', 'abiq-3-\x01'])
def test_a_name_libvirt_cannot_take_is_a_driver_error(driver, hypervisor, name):
    with pytest.raises(DriverError, match='libvirt'):
        driver.define(MachineSpec(name, 1, 64, 1))
    assert hypervisor_machines(hypervisor) == {}


def test_start_and_stop_are_idempotent(defined, hypervisor):
    defined.start(SPEC.name)
    defined.start(SPEC.name)
    assert hypervisor_machines(hypervisor) == {SPEC.name: (2, 512, True)}
    assert defined.state(SPEC.name).running
    defined.stop(SPEC.name)
    defined.stop(SPEC.name)
    assert hypervisor_machines(hypervisor) == {SPEC.name: (2, 512, False)}
    assert not defined.state(SPEC.name).running


@pytest.mark.parametrize('operation', ['start', 'stop', 'reset'])
def test_an_undefined_machine_is_a_driver_error(driver, operation):
    with pytest.raises(DriverError, match='abiq-1-web is not defined'):
        getattr(driver, operation)(SPEC.name)


def test_set_resources_on_an_undefined_machine_is_a_driver_error(driver):
    with pytest.raises(DriverError, match='not defined'):
        driver.set_resources(SPEC.name, 1, 256)


def test_reset_needs_a_running_machine(defined, hypervisor):
    with pytest.raises(DriverError, match='not running'):
        defined.reset(SPEC.name)
    defined.start(SPEC.name)
    defined.reset(SPEC.name)
    assert hypervisor_machines(hypervisor)[SPEC.name][2] is True


def test_undefine_stops_then_removes_and_is_idempotent(defined, hypervisor):
    defined.start(SPEC.name)
    defined.undefine(SPEC.name)
    defined.undefine(SPEC.name)
    assert hypervisor_machines(hypervisor) == {}
    assert defined.state(SPEC.name) is None
    defined.undefine('abiq-9-never-defined')


def test_set_resources_redefines_a_machine_that_is_off(defined, hypervisor):
    defined.set_resources(SPEC.name, 4, 2048)
    defined.set_resources(SPEC.name, 4, 2048)
    assert hypervisor_machines(hypervisor) == {SPEC.name: (4, 2048, False)}
    assert defined.state(SPEC.name) == MachineState(SPEC.name, 4, 2048, False)
    defined.start(SPEC.name)
    assert hypervisor.lookupByName(SPEC.name).info()[1:4] == [2048 * 1024] * 2 + [4]


def test_set_resources_on_a_running_machine(defined, hypervisor):
    defined.start(SPEC.name)
    domain = hypervisor.lookupByName(SPEC.name)
    defined.set_resources(SPEC.name, 1, 256)  # NOTE: fits: applied live too
    assert domain.info()[2:4] == [256 * 1024, 1]
    defined.set_resources(SPEC.name, 4, 2048)  # NOTE: past the running maximum
    assert defined.state(SPEC.name) == MachineState(SPEC.name, 4, 2048, True)
    assert hypervisor_machines(hypervisor) == {SPEC.name: (4, 2048, True)}
    defined.stop(SPEC.name)
    defined.start(SPEC.name)
    assert domain.info()[2:4] == [2048 * 1024, 4]


def test_a_libvirt_refusal_is_a_driver_error(defined, hypervisor):
    with pytest.raises(DriverError, match='libvirt cannot reconfigure abiq-1-web'):
        defined.set_resources(SPEC.name, 0, 512)
    assert hypervisor_machines(hypervisor) == {SPEC.name: (2, 512, False)}


def _create_then_fail(started: bool):
    """A virDomain.create that (optionally) starts the domain and still fails,
    as when another worker started it between the driver's look and act."""
    real_create = libvirt.virDomain.create

    def create(domain):
        if started:
            real_create(domain)
        raise libvirt.libvirtError('Requested operation is not valid')

    return create


def test_a_lost_race_finds_the_work_done(defined, hypervisor, monkeypatch):
    monkeypatch.setattr(libvirt.virDomain, 'create', _create_then_fail(True))
    defined.start(SPEC.name)
    assert hypervisor_machines(hypervisor)[SPEC.name][2] is True


def test_a_failure_that_did_nothing_is_a_driver_error(defined, monkeypatch):
    monkeypatch.setattr(libvirt.virDomain, 'create', _create_then_fail(False))
    with pytest.raises(DriverError, match='libvirt cannot start abiq-1-web'):
        defined.start(SPEC.name)


def test_one_connection_is_shared_by_threads(hypervisor, monkeypatch):
    opened = []
    real_open = libvirt.open

    def slow_open(uri):
        time.sleep(0.05)  # NOTE: widens the window two threads could share
        opened.append(uri)
        return real_open(uri)

    monkeypatch.setattr(libvirt, 'open', slow_open)
    driver = LibvirtDriver(URI)
    threads = [threading.Thread(target=driver.state, args=('x',)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert opened == [URI]


def test_a_closed_connection_is_reopened_without_losing_machines(defined, hypervisor):
    defined._connection().close()
    assert defined.state(SPEC.name) == MachineState(SPEC.name, 2, 512, False)


def test_the_test_hypervisor_is_one_per_process(driver, hypervisor):
    # NOTE: what the comparisons of the domain scenario rest on: every
    # connection of a process sees the same machines, another process its own.
    hypervisor.defineXML(
        "<domain type='test'><name>abiq-0-outside</name>"
        "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        '<os><type>hvm</type></os></domain>'
    )
    assert driver.state('abiq-0-outside') == MachineState(
        'abiq-0-outside', 1, 64, False
    )
    driver.define(SPEC)
    assert set(hypervisor_machines(hypervisor)) == {'abiq-0-outside', SPEC.name}
    other = subprocess.run(
        [
            sys.executable,
            '-c',
            'import libvirt; conn = libvirt.open("test:///default"); '
            'print(sorted(d.name() for d in conn.listAllDomains()))',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert other.stdout.strip() == "['test']"
