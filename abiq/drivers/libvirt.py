"""A real hypervisor through libvirt (``ABIQ_DRIVER=libvirt``).

Needs the optional extra: ``pip install -e '.[libvirt]'`` (and the system
package ``libvirt-dev`` to build it). Every method looks at the hypervisor
first and does only what is missing, so a job that runs twice (at-least-once
execution after a lost worker) never defines a machine twice.

``test:///default`` (the default URI) is libvirt's built-in test hypervisor:
its state lives in the memory of the process that opened it and is shared by
every connection of that process, so the API and the workers of one
``abiq serve`` see the same machines; separate worker processes each see
their own. Point ``ABIQ_LIBVIRT_URI`` at ``qemu:///system`` (or a remote
URI) for real machines.
"""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

from abiq.drivers.base import Driver
from abiq.drivers.base import DriverError
from abiq.drivers.base import MachineSpec
from abiq.drivers.base import MachineState

try:
    import libvirt
except ImportError as ex:  # pragma: no cover - depends on the machine
    raise ImportError(
        "ABIQ_DRIVER=libvirt needs libvirt-python: pip install -e '.[libvirt]' "
        '(with the libvirt-dev and pkg-config system packages)'
    ) from ex

__all__ = ['LibvirtDriver', 'domain_xml']

# NOTE: libvirt prints every error to stderr by default; ours are raised as
# DriverError (a missing domain is not even an error here).
libvirt.registerErrorHandler(lambda _context, _error: None, None)

_NS = 'https://abiq.example/xmlns/machine'
_RUNNING = {libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_BLOCKED}


def domain_xml(spec: MachineSpec, domain_type: str) -> bytes:
    """Return the domain XML of a machine (built with lxml: no value is ever
    pasted into markup)."""
    domain = etree.Element('domain', type=domain_type)
    etree.SubElement(domain, 'name').text = spec.name
    etree.SubElement(domain, 'memory', unit='MiB').text = str(spec.ram)
    etree.SubElement(domain, 'vcpu').text = str(spec.cpu)
    os_element = etree.SubElement(domain, 'os')
    etree.SubElement(os_element, 'type').text = 'hvm'
    metadata = etree.SubElement(domain, 'metadata')
    abiq = etree.SubElement(metadata, f'{{{_NS}}}machine', nsmap={'abiq': _NS})
    abiq.set('os', spec.os)
    abiq.set('disk', str(spec.disk))
    if spec.hostname:
        abiq.set('hostname', spec.hostname)
    return etree.tostring(domain)


class LibvirtDriver(Driver):
    """Machines as libvirt domains.

    Args:
        uri: the libvirt connection URI.
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.label = f'libvirt ({uri})'
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connection(self) -> Any:
        # NOTE: libvirt connections are thread-safe; one per process is
        # shared by every worker thread, and reopened when it broke.
        with self._lock:
            if self._conn is None or not self._conn.isAlive():
                try:
                    self._conn = libvirt.open(self.uri)
                except libvirt.libvirtError as ex:
                    raise DriverError(f'Cannot connect to {self.uri}: {ex}') from ex
            return self._conn

    def _domain(self, name: str) -> Any:
        try:
            return self._connection().lookupByName(name)
        except libvirt.libvirtError as ex:
            if ex.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise DriverError(f'libvirt: {ex}') from ex

    def _require(self, name: str) -> Any:
        domain = self._domain(name)
        if domain is None:
            raise DriverError(f'Machine {name} is not defined')
        return domain

    def state(self, name: str) -> MachineState | None:
        """Read a domain's configured vCPUs and memory, and whether it runs."""
        domain = self._domain(name)
        if domain is None:
            return None
        # NOTE: the persistent definition, not the live figures: a change
        # beyond a running domain's maximum applies at its next power cycle.
        config = etree.fromstring(
            _call(domain.XMLDesc, libvirt.VIR_DOMAIN_XML_INACTIVE).encode()
        )
        vcpu = config.find('vcpu')
        cpu = int(vcpu.get('current', vcpu.text))
        memory = config.find('currentMemory')
        if memory is None:
            memory = config.find('memory')
        ram = _mib(int(memory.text), memory.get('unit', 'KiB'))
        return MachineState(name, cpu, ram, bool(domain.isActive()))

    def define(self, spec: MachineSpec) -> None:
        """Define the domain unless it exists."""
        if self._domain(spec.name) is not None:
            return
        conn = self._connection()
        domain_type = 'test' if conn.getType() == 'Test' else 'kvm'
        _call(conn.defineXML, domain_xml(spec, domain_type).decode())

    def undefine(self, name: str) -> None:
        """Stop and undefine the domain unless it is gone."""
        domain = self._domain(name)
        if domain is None:
            return
        if domain.isActive():
            _call(domain.destroy)
        _call(domain.undefine)

    def start(self, name: str) -> None:
        """Start the domain unless it runs."""
        domain = self._require(name)
        if not domain.isActive():
            _call(domain.create)

    def stop(self, name: str) -> None:
        """Power the domain off (hard stop) unless it is off."""
        domain = self._require(name)
        if domain.isActive():
            _call(domain.destroy)

    def reset(self, name: str) -> None:
        """Reset a running domain."""
        domain = self._require(name)
        if not domain.isActive():
            raise DriverError(f'Cannot reset {name}: it is not running')
        _call(domain.reset, 0)

    def set_resources(self, name: str, cpu: int, ram: int) -> None:
        """Change vCPUs and memory in the persistent definition, and live too
        when the domain runs and the new figures fit its running maximum."""
        domain = self._require(name)
        config = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        kib = ram * 1024
        _call(domain.setMemoryFlags, kib, config | libvirt.VIR_DOMAIN_MEM_MAXIMUM)
        _call(domain.setMemoryFlags, kib, config)
        current = domain.vcpusFlags(config)
        # NOTE: the maximum must never drop below the current count: raise it
        # first when growing, lower it last when shrinking.
        steps = [libvirt.VIR_DOMAIN_VCPU_MAXIMUM, 0]
        for extra in steps if cpu >= current else reversed(steps):
            _call(domain.setVcpusFlags, cpu, config | extra)
        if domain.isActive():
            live = libvirt.VIR_DOMAIN_AFFECT_LIVE
            if kib <= domain.maxMemory():
                _call(domain.setMemoryFlags, kib, live)
            if cpu <= domain.vcpusFlags(live | libvirt.VIR_DOMAIN_VCPU_MAXIMUM):
                _call(domain.setVcpusFlags, cpu, live)


def _mib(value: int, unit: str) -> int:
    scale = {
        'b': 1 / 2**20,
        'bytes': 1 / 2**20,
        'KiB': 1 / 1024,
        'k': 1 / 1024,
        'MiB': 1,
        'M': 1,
        'GiB': 1024,
        'G': 1024,
    }
    return int(value * scale[unit])


def _call(operation: Any, *args: Any) -> Any:
    try:
        return operation(*args)
    except libvirt.libvirtError as ex:
        raise DriverError(f'libvirt: {ex}') from ex
