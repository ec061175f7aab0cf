"""Helpers for domain tests: build appliances through links only."""

from __future__ import annotations

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
