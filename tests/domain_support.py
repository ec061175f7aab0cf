"""Helpers for domain tests: build appliances through links only, follow
tasks, and compare a libvirt hypervisor with the API's view of it."""

from __future__ import annotations

from typing import Any

from lxml import etree

from tests.support import Api

JSON = {
    'template': 'application/vnd.abiq.template+json',
    'virtualappliance': 'application/vnd.abiq.virtualappliance+json',
    'virtualmachine': 'application/vnd.abiq.virtualmachine+json',
}


def make_template(admin: Api, name: str = 'debian', cpu: int = 1, ram: int = 512):
    """Create a template as an administrator, through the root's links."""
    templates = admin.get(admin.get('/', status=200).link('templates'), status=200)
    body = {
        'name': name,
        'description': 'test',
        'os': 'linux',
        'cpu': cpu,
        'ram': ram,
        'disk': 10,
    }
    return admin.post(
        templates.link('create'), body, content_type=JSON['template'], status=201
    )


def make_vapp(api: Api, template_href: str, names: list[str], vapp: str = 'app'):
    """Create an appliance with machines named ``names``; return it."""
    vapps = api.get(api.get('/', status=200).link('virtualappliances'), status=200)
    created = api.post(
        vapps.link('create'),
        {'name': vapp},
        content_type=JSON['virtualappliance'],
        status=201,
    )
    machines = api.get(created.link('virtualmachines'), status=200)
    for name in names:
        body = {'name': name, 'links': [{'rel': 'template', 'href': template_href}]}
        api.post(
            machines.link('create'),
            body,
            content_type=JSON['virtualmachine'],
            status=201,
        )
    return api.get(created.link('self'), status=200)


def machines_of(api: Api, vapp) -> list[dict]:
    """Return the appliance's machine documents."""
    return api.get(vapp.link('virtualmachines') + '?limit=0', status=200).doc[
        'collection'
    ]


def link_of(doc: dict, rel: str) -> str | None:
    """Return the href of a rel in a document, or None."""
    return next((link['href'] for link in doc['links'] if link['rel'] == rel), None)


def wait_for_end(api: Api, href: str, accept: str | None = None):
    """Long-poll a task until it ends; return every answer seen."""
    seen = [api.get(href, accept=accept)]
    while seen[-1].doc['status'] not in ('finished', 'failed', 'cancelled'):
        headers = {'Prefer': 'wait=10', 'If-None-Match': seen[-1].headers['ETag']}
        answer = api.get(href, accept=accept, headers=headers)
        if answer.status != 304:
            seen.append(answer)
        assert len(seen) < 500
    return seen


#: a machine as both sides report it: vCPUs, memory (MiB), running
Machine = tuple[int, int, bool]

# NOTE: libvirt's VIR_DOMAIN_XML_INACTIVE, spelled out so that this module
# imports without libvirt-python (the simulator's tests use it too).
_XML_INACTIVE = 2


def hypervisor_machines(conn: Any, prefix: str = 'abiq-') -> dict[str, Machine]:
    """Read every libvirt domain named ``prefix...`` on a connection.

    The figures are the persistent definition's: it is what a reconfigure
    changes, while a running domain grown past its maximum keeps its live
    figures until its next boot.
    """
    found = {}
    for domain in conn.listAllDomains():
        if domain.name().startswith(prefix):
            config = etree.fromstring(domain.XMLDesc(_XML_INACTIVE).encode())
            vcpus = int(config.findtext('vcpu'))
            memory_kib = int(config.findtext('currentMemory'))
            found[domain.name()] = (vcpus, memory_kib // 1024, bool(domain.isActive()))
    return found


def api_machines(api: Api, vapp) -> dict[str, Machine]:
    """The appliance's machines the API says are on the hypervisor, by the
    name they have there."""
    view = {}
    for vm in machines_of(api, vapp):
        assert vm['state'] != 'LOCKED', 'compare once the tasks have ended'
        if vm['state'] in ('ALLOCATED', 'ON', 'OFF'):
            name = f'abiq-{vm["id"]}-{vm["name"]}'
            view[name] = (vm['cpu'], vm['ram'], vm['state'] == 'ON')
    return view


def remove_domains(conn: Any, prefix: str = 'abiq-') -> None:
    """Stop and undefine every domain named ``prefix...`` (test clean-up)."""
    for domain in conn.listAllDomains():
        if domain.name().startswith(prefix):
            if domain.isActive():
                domain.destroy()
            domain.undefine()
