"""Generic collection and item resources, configured by a registry entry.

A plain kind (fields copied between body and row, owned by its parent or by
nobody) needs no resource module: :mod:`abiq.resources.routes` serves it with
these classes, reading what they do from its :class:`abiq.entities.Entity`
and its :class:`abiq.entities.Crud`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import falcon
import peewee

from abiq.entities import ENTITIES
from abiq.errors import conflict
from abiq.resources.base import Body
from abiq.resources.base import Resource

if TYPE_CHECKING:
    from abiq.auth import Caller
    from abiq.entities import Entity
    from abiq.resources.base import Services

__all__ = ['Collection', 'Item']


class _Configured(Resource):
    """A resource whose declarations come from its entity."""

    def __init__(self, services: Services, entity: Entity) -> None:
        super().__init__(services)
        assert entity.crud is not None, f'{entity.kind} has no generic resources'
        self.entity = entity
        self.crud = entity.crud
        # NOTE: the OpenAPI document tags an operation with its kind, not
        # with this module's name.
        self.tag = entity.segment
        self.tag_text = f'The {entity.segment} (generic resources of the registry)'

    def writer(self, req: falcon.Request) -> Caller:
        """Return the caller, or answer 403 unless its role may write."""
        if self.crud.writers == 'admin':
            return self.require_admin(req)
        return self.require_writer(req)

    def may_write(self, caller: Caller) -> bool:
        """Tell whether the caller's role may write (for the links)."""
        return caller.is_admin if self.crud.writers == 'admin' else caller.can_write

    def save(self, row: Any, name: str | None) -> None:
        """Save a row; answer 409 when its name is taken."""
        try:
            row.save()
        except peewee.IntegrityError as ex:
            raise conflict(
                self.crud.taken, f'A {self.entity.kind} named {name!r} already exists'
            ) from ex


class Collection(_Configured):
    """A collection of a kind, at the root or below a parent.

    Args:
        services: the shared services.
        entity: the kind of its items.
        parent: the kind whose item it hangs below (None: at the root).
    """

    statuses = {'POST': (201,)}

    def __init__(self, services: Services, entity: Entity, parent: str | None) -> None:
        super().__init__(services, entity)
        self.parent = parent
        self.answers = {'GET': entity.segment, 'POST': entity.kind}
        self.reads = {'POST': Body(entity.kind, self.crud.required)}
        self.paging = entity.paging

    def _select(self, req: falcon.Request, ids: dict[str, Any]) -> tuple[Any, Any]:
        """Return the parent (404 unless visible) and the rows below it."""
        model = self.entity.model
        if self.parent is None:
            return None, model.select()
        (parent_id,) = ids.values()
        parent = self.lookup(req, self.parent, parent_id)
        return parent, model.select().where(getattr(model, self.parent) == parent.id)

    def _href(self, req: falcon.Request, parent: Any, query: Any = None) -> str:
        urls = self.urls(req)
        if self.parent is None:
            return urls.of(self.entity.kind, query=query)
        return urls.of(self.parent, parent.id, self.entity.segment, query=query)

    def on_get(self, req: falcon.Request, resp: falcon.Response, **ids: Any) -> None:
        """List the collection, paged."""
        parent, select = self._select(req, ids)
        urls, entity = self.urls(req), self.entity
        extra = []
        if parent is not None:
            href, title = (
                urls.of(self.parent, parent.id),
                ENTITIES[self.parent].title_of,
            )
            extra.append(urls.link(self.parent, href, self.parent, title(parent)))
        if self.may_write(self.caller(req)):
            extra.append(urls.link('create', self._href(req, parent), entity.kind))

        def href_for(query: list[tuple[str, Any]]) -> str:
            return self._href(req, parent, query)

        self.list_page(req, resp, entity.kind, select, href_for, extra)

    def on_post(self, req: falcon.Request, resp: falcon.Response, **ids: Any) -> None:
        """Create one: 201 and its location."""
        parent, _ = self._select(req, ids)
        self.writer(req)
        doc = self.read(req)
        fields = {field: doc[field] for field in self.crud.fields if field in doc}
        if parent is not None:
            fields[self.parent] = parent.id
        row = self.entity.model(**fields)
        self.save(row, doc.get('name'))
        self.created(req, resp, self.entity.kind, row)


class Item(_Configured):
    """One entity of a kind: read, change, delete.

    Args:
        services: the shared services.
        entity: its kind.
    """

    statuses = {'DELETE': (204,)}

    def __init__(self, services: Services, entity: Entity) -> None:
        super().__init__(services, entity)
        self.answers = {'GET': entity.kind, 'PUT': entity.kind}
        self.reads = {'PUT': Body(entity.kind)}

    def on_get(self, req: falcon.Request, resp: falcon.Response, **ids: Any) -> None:
        """Answer the entity."""
        (entity_id,) = ids.values()
        row = self.lookup(req, self.entity.kind, entity_id)
        self.send(req, resp, self.render(req, self.entity.kind, row))

    def on_put(self, req: falcon.Request, resp: falcon.Response, **ids: Any) -> None:
        """Change the entity's fields."""
        (entity_id,) = ids.values()
        row = self.lookup(req, self.entity.kind, entity_id)
        self.writer(req)
        self.check(req, **ids)
        doc = self.read(req)
        for field in self.crud.fields:
            if field in doc:
                setattr(row, field, doc[field])
        self.save(row, doc.get('name'))
        self.send(req, resp, self.render(req, self.entity.kind, row))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, **ids: Any):
        """Delete the entity: 204."""
        (entity_id,) = ids.values()
        row = self.lookup(req, self.entity.kind, entity_id)
        self.writer(req)
        self.check(req, **ids)
        row.delete_instance()
        self.no_content(resp)
