"""The libvirt domain XML of a machine, built and read with lxml.

Kept apart from :mod:`abiq.drivers.libvirt` (which needs libvirt-python) so
the XML a machine is described with can be read and tested on its own.
"""

from __future__ import annotations

from lxml import etree

from abiq.drivers.base import DriverError
from abiq.drivers.base import MachineSpec

__all__ = ['DISK_DIR', 'domain_xml', 'resources_of', 'set_resources_in']

#: where a machine's disk image is expected (``<name>.qcow2``)
DISK_DIR = '/var/lib/libvirt/images'

_NS = 'https://abiq.example/xmlns/machine'
_KIB_PER = {'KiB': 1, 'k': 1, 'MiB': 1024, 'M': 1024, 'GiB': 1024**2, 'G': 1024**2}


def domain_xml(spec: MachineSpec, domain_type: str) -> str:
    """Return the domain XML of a machine.

    Built with lxml, so no value is ever pasted into markup.

    Raises:
        DriverError: the name cannot name a domain and its disk file, or a
            value is not XML-compatible text.
    """
    if '/' in spec.name or spec.name in ('', '.', '..'):
        raise DriverError(f'{spec.name!r} cannot name a libvirt domain')
    try:
        domain = etree.Element('domain', type=domain_type)
        etree.SubElement(domain, 'name').text = spec.name
        set_resources_in(domain, spec.cpu, spec.ram)
        os_element = etree.SubElement(domain, 'os')
        etree.SubElement(os_element, 'type').text = 'hvm'
        etree.SubElement(os_element, 'boot', dev='hd')
        devices = etree.SubElement(domain, 'devices')
        devices.append(_disk(spec.name))
        domain.append(_metadata(spec))
    except ValueError as ex:  # NOTE: lxml refuses control characters
        raise DriverError(f'Cannot describe {spec.name!r} to libvirt: {ex}') from ex
    return etree.tostring(domain, encoding='unicode')


def _disk(name: str) -> etree._Element:
    # NOTE: libvirt sizes no disk in a domain (that is a storage volume), so
    # the size goes to the metadata. startupPolicy='optional' lets qemu/kvm
    # boot without the image (it drops the disk) until one is provisioned;
    # the test hypervisor never opens it.
    disk = etree.Element('disk', type='file', device='disk')
    etree.SubElement(disk, 'driver', name='qemu', type='qcow2')
    etree.SubElement(
        disk, 'source', file=f'{DISK_DIR}/{name}.qcow2', startupPolicy='optional'
    )
    etree.SubElement(disk, 'target', dev='vda', bus='virtio')
    return disk


def _metadata(spec: MachineSpec) -> etree._Element:
    metadata = etree.Element('metadata')
    machine = etree.SubElement(metadata, f'{{{_NS}}}machine', nsmap={'abiq': _NS})
    machine.set('os', spec.os)
    machine.set('disk', str(spec.disk))
    if spec.hostname:
        machine.set('hostname', spec.hostname)
    return metadata


def set_resources_in(domain: etree._Element, cpu: int, ram: int) -> None:
    """Set vCPUs and memory (MiB) in a domain element, adding what is missing."""
    for tag in ('memory', 'currentMemory'):
        element = domain.find(tag)
        if element is None:
            element = etree.SubElement(domain, tag)
        element.text = str(ram)
        element.set('unit', 'MiB')
    vcpu = domain.find('vcpu')
    if vcpu is None:
        vcpu = etree.SubElement(domain, 'vcpu')
    vcpu.text = str(cpu)
    vcpu.attrib.pop('current', None)  # NOTE: all vCPUs online, as configured


def resources_of(domain: etree._Element) -> tuple[int, int]:
    """Return a domain element's vCPUs and memory (MiB)."""
    vcpu = domain.find('vcpu')
    memory = domain.find('currentMemory')
    if memory is None:
        memory = domain.find('memory')
    # NOTE: libvirt formats memory in KiB whatever unit it was defined in.
    kib = int(memory.text) * _KIB_PER[memory.get('unit', 'KiB')]
    return int(vcpu.get('current', vcpu.text)), kib // 1024
