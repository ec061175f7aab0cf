"""A real hypervisor through libvirt (``ABIQ_DRIVER=libvirt``).

Needs the optional extra: ``pip install 'abiq[libvirt]'`` (it builds against
the ``libvirt-dev`` and ``pkg-config`` system packages). Every method looks at
the hypervisor first and does only what is missing, so a job that runs twice
(at-least-once execution after a lost worker) never defines a machine twice.

``test:///default`` (the default URI) is libvirt's built-in test hypervisor.
Found by experiment (libvirt 9.0): its machines live in the memory of the
process that opened it; every connection of that process sees the same ones
(a second ``libvirt.open`` sees the first one's domains), another process sees
its own, and they are discarded when the process's last connection to it
closes. So the API, the worker threads of one ``abiq serve`` and a test
holding its own connection all see one hypervisor, as long as the driver keeps
its connection open (it does, for its whole life); separate ``abiq worker``
processes would each see a different one. Point ``ABIQ_LIBVIRT_URI`` at
``qemu:///system`` (or a remote URI) for real machines.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lxml import etree

from abiq.drivers.base import Driver
from abiq.drivers.base import DriverError
from abiq.drivers.base import MachineSpec
from abiq.drivers.base import MachineState
from abiq.drivers.libvirtxml import DISK_DIR
from abiq.drivers.libvirtxml import domain_xml
from abiq.drivers.libvirtxml import resources_of
from abiq.drivers.libvirtxml import set_resources_in

try:
    import libvirt
except ImportError as ex:  # pragma: no cover - depends on the machine
    raise ImportError(
        "ABIQ_DRIVER=libvirt needs libvirt-python: pip install 'abiq[libvirt]' "
        "(or pip install -e '.[libvirt]' in a checkout), after installing the "
        'libvirt-dev and pkg-config system packages it builds against'
    ) from ex

__all__ = ['DISK_DIR', 'LibvirtDriver', 'domain_xml']

log = logging.getLogger('abiq.libvirt')

# NOTE: libvirt prints every error to stderr by default; ours are raised as
# DriverError (and a missing domain is not even an error here).
libvirt.registerErrorHandler(lambda _context, _error: None, None)


class LibvirtDriver(Driver):
    """Machines as persistent libvirt domains.

    Args:
        uri: the libvirt connection URI.
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.label = f'libvirt ({uri})'
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connection(self) -> Any:
        """Return the connection, opening it on first use or when it broke."""
        # NOTE: libvirt connections are thread-safe: one per driver is shared
        # by every worker thread. The lock only keeps two threads from both
        # replacing a broken one.
        with self._lock:
            if self._conn is None or not _alive(self._conn):
                broken = self._conn
                with _failing(f'connect to {self.uri}'):
                    self._conn = libvirt.open(self.uri)
                # NOTE: closed only once the new one is open, so
                # test:///default keeps its machines.
                if broken is not None:
                    _close(broken)
            return self._conn

    def _domain(self, name: str) -> Any:
        """Return the domain, or None when it is not defined."""
        conn = self._connection()
        try:
            return conn.lookupByName(name)
        except libvirt.libvirtError as ex:
            if ex.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise DriverError(f'libvirt cannot look up {name}: {ex}') from ex

    def _require(self, name: str) -> Any:
        domain = self._domain(name)
        if domain is None:
            raise DriverError(f'Machine {name} is not defined on {self.uri}')
        return domain

    def state(self, name: str) -> MachineState | None:
        """Read a domain's configured vCPUs and memory, and whether it runs."""
        domain = self._domain(name)
        if domain is None:
            return None
        with _failing(f'read {name}'):
            # NOTE: the persistent definition, not the live figures: a change
            # beyond a running domain's maximum applies at its next boot.
            cpu, ram = resources_of(_inactive_xml(domain))
            return MachineState(name, cpu, ram, bool(domain.isActive()))

    def define(self, spec: MachineSpec) -> None:
        """Define the domain unless one with that name exists."""
        if self._domain(spec.name) is not None:
            return
        conn = self._connection()
        with _failing(f'define {spec.name}'):
            # NOTE: the test hypervisor takes 'kvm' too, but its own type is
            # 'test'; any other URI is a qemu/kvm host here.
            test = conn.getType().upper() == 'TEST'
            xml = domain_xml(spec, 'test' if test else 'kvm')
            _idempotent(
                lambda: conn.defineXML(xml),
                lambda: self._domain(spec.name) is not None,
            )

    def undefine(self, name: str) -> None:
        """Power the domain off and undefine it, unless it is gone."""
        domain = self._domain(name)
        if domain is None:
            return
        with _failing(f'undefine {name}'):
            _stop(domain)
            # NOTE: a managed-save image would only block the removal.
            flags = libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
            _idempotent(
                lambda: domain.undefineFlags(flags),
                lambda: self._domain(name) is None,
            )

    def start(self, name: str) -> None:
        """Start the domain unless it runs."""
        domain = self._require(name)
        with _failing(f'start {name}'):
            if not domain.isActive():
                _idempotent(domain.create, domain.isActive)

    def stop(self, name: str) -> None:
        """Power the domain off (a hard stop) unless it is off."""
        domain = self._require(name)
        with _failing(f'stop {name}'):
            _stop(domain)

    def reset(self, name: str) -> None:
        """Hard-reset a running domain."""
        domain = self._require(name)
        with _failing(f'reset {name}'):
            if not domain.isActive():
                raise DriverError(f'Cannot reset {name}: it is not running')
            domain.reset(0)

    def set_resources(self, name: str, cpu: int, ram: int) -> None:
        """Set vCPUs and memory (MiB) in the persistent definition.

        The definition is rewritten in one redefinition, so a failure leaves
        the old figures whole. A running domain also gets the new figures
        live where they fit its running maximum, else at its next boot.
        """
        domain = self._require(name)
        with _failing(f'reconfigure {name}'):
            config = _inactive_xml(domain)
            if resources_of(config) != (cpu, ram):
                set_resources_in(config, cpu, ram)
                xml = etree.tostring(config, encoding='unicode')
                self._connection().defineXML(xml)
            if domain.isActive():
                _resize_live(domain, cpu, ram)


def _inactive_xml(domain: Any) -> etree._Element:
    """Return a domain's persistent definition (what its next boot uses)."""
    text = domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    return etree.fromstring(text.encode())


def _stop(domain: Any) -> None:
    if domain.isActive():
        _idempotent(domain.destroy, lambda: not domain.isActive())


def _resize_live(domain: Any, cpu: int, ram: int) -> None:
    """Resize a running domain as far as it allows; the rest waits for a boot."""
    live = libvirt.VIR_DOMAIN_AFFECT_LIVE
    try:
        if ram * 1024 <= domain.maxMemory():
            domain.setMemoryFlags(ram * 1024, live)
        if cpu <= domain.vcpusFlags(live | libvirt.VIR_DOMAIN_VCPU_MAXIMUM):
            domain.setVcpusFlags(cpu, live)
    except libvirt.libvirtError as ex:
        # NOTE: not a failure: the definition has the new figures, and a
        # guest without balloon or vCPU hot-unplug support gets them at its
        # next boot. Failing would make every retry fail the same way.
        log.warning('%s keeps its figures until its next boot: %s', domain.name(), ex)


@contextmanager
def _failing(what: str) -> Iterator[None]:
    """Turn a libvirt error into a DriverError saying what failed."""
    try:
        yield
    except libvirt.libvirtError as ex:
        raise DriverError(f'libvirt cannot {what}: {ex}') from ex


def _idempotent(operation: Callable[[], Any], done: Callable[[], Any]) -> None:
    """Run an operation; its failure is fine when its effect is there anyway.

    A job whose lease expired may still be running when its retry runs the
    same operation: the loser of that race finds the work done.
    """
    try:
        operation()
    except libvirt.libvirtError:
        if not done():
            raise


def _alive(conn: Any) -> bool:
    try:
        return bool(conn.isAlive())
    except libvirt.libvirtError:
        return False  # NOTE: closed under us: as good as broken


def _close(conn: Any) -> None:
    try:
        conn.close()
    except libvirt.libvirtError:
        pass  # NOTE: it was broken already; nothing is left to release
