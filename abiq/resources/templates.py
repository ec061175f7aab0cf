"""Templates: readable by everyone, managed by administrators."""

from __future__ import annotations

import falcon
import peewee

from abiq.db.domain import Template
from abiq.db.domain import VirtualMachine
from abiq.errors import conflict
from abiq.paging import CollectionSpec
from abiq.resources.base import Body
from abiq.resources.base import Resource

__all__ = ['Collection', 'Item']

TEMPLATES = CollectionSpec(
    sort_fields={'name': Template.name, 'id': Template.id, 'os': Template.os},
    default_sort='name',
    text_fields=(Template.name, Template.description, Template.os),
    tie_breaker=Template.id,
)
FIELDS = ('name', 'description', 'os', 'cpu', 'ram', 'disk')


def _name_taken(name: str) -> Exception:
    return conflict('TEMPLATE-1', f'A template named {name!r} already exists')


class Collection(Resource):
    """Every template; administrators create them here."""

    answers = {'GET': 'templates', 'POST': 'template'}
    reads = {'POST': Body('template', ('name',))}
    statuses = {'POST': (201,)}
    paging = TEMPLATES

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List templates, paged."""
        urls, caller = self.urls(req), self.caller(req)

        def href_for(query):
            return urls.of('template', query=query)

        extra = (
            [urls.link('create', href_for([]), 'template')] if caller.is_admin else []
        )
        self.list_page(req, resp, 'template', Template.select(), href_for, extra)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create a template (administrators): 201."""
        self.require_admin(req)
        doc = self.read(req)
        fields = {field: doc[field] for field in FIELDS if field in doc}
        try:
            template = Template.create(**fields)
        except peewee.IntegrityError as ex:
            raise _name_taken(doc['name']) from ex
        self.created(req, resp, 'template', template)


class Item(Resource):
    """One template."""

    answers = {'GET': 'template', 'PUT': 'template'}
    reads = {'PUT': Body('template')}
    statuses = {'DELETE': (204,)}

    def on_get(self, req: falcon.Request, resp: falcon.Response, template_id: int):
        """Answer the template."""
        template = self.lookup(req, 'template', template_id)
        self.send(req, resp, self.render(req, 'template', template))

    def on_put(self, req: falcon.Request, resp: falcon.Response, template_id: int):
        """Change the template (administrators); existing machines keep theirs."""
        template = self.lookup(req, 'template', template_id)
        self.require_admin(req)
        self.check(req, template_id=template_id)
        doc = self.read(req)
        for field in FIELDS:
            if field in doc:
                setattr(template, field, doc[field])
        try:
            template.save()
        except peewee.IntegrityError as ex:
            raise _name_taken(doc['name']) from ex
        self.send(req, resp, self.render(req, 'template', template))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, template_id: int):
        """Delete an unused template (administrators): 204, or 409 while used."""
        template = self.lookup(req, 'template', template_id)
        self.require_admin(req)
        self.check(req, template_id=template_id)
        if (
            VirtualMachine.select()
            .where(VirtualMachine.template == template.id)
            .exists()
        ):
            raise conflict(
                'TEMPLATE-2', f'Template {template.name!r} is used by virtual machines'
            )
        template.delete_instance()
        self.no_content(resp)
