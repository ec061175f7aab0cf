"""The route table: fixed documents, then every kind of the entity registry.

Each kind in :data:`abiq.entities.ENTITIES` gets its collection below each
of its parents, its item, its ``tasks`` collection and its action links. A
kind with resources of its own names them in :data:`RESOURCES`; any other
kind is served by the generic :mod:`abiq.resources.crud` classes.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from abiq.entities import ENTITIES
from abiq.html.assets import ASSETS
from abiq.resources import browser
from abiq.resources import crud
from abiq.resources import enterprises
from abiq.resources import health
from abiq.resources import openapi
from abiq.resources import root
from abiq.resources import schemas
from abiq.resources import task_actions
from abiq.resources import tasks
from abiq.resources import templates
from abiq.resources import tokens
from abiq.resources import users
from abiq.resources import virtualappliances
from abiq.resources import virtualmachines

if TYPE_CHECKING:
    from abiq.entities import Entity
    from abiq.resources.base import Resource
    from abiq.resources.base import Services

__all__ = ['RESOURCES', 'Resources', 'table']


@dataclass(frozen=True)
class Resources:
    """How the resources of one kind are built.

    Args:
        collection: ``(services, entity, parent kind or None)``.
        item: ``(services, entity)``.
        action: ``(services, entity, rel)``.
    """

    collection: Callable[..., Resource] = crud.Collection
    item: Callable[..., Resource] = crud.Item
    action: Callable[..., Resource] | None = None


def _plain(cls: type[Resource]) -> Callable[..., Resource]:
    """Build a resource that needs only the services."""
    return lambda services, *_: cls(services)


_TASK_ACTIONS = {'cancel': task_actions.Cancel, 'retry': task_actions.Retry}

#: kind -> its own resources (kinds not listed get the generic ones)
RESOURCES: dict[str, Resources] = {
    'task': Resources(
        _plain(tasks.Collection),
        _plain(tasks.Item),
        lambda services, entity, rel: _TASK_ACTIONS[rel](services),
    ),
    'enterprise': Resources(_plain(enterprises.Collection), _plain(enterprises.Item)),
    'template': Resources(_plain(templates.Collection), _plain(templates.Item)),
    'virtualappliance': Resources(
        lambda services, entity, parent: virtualappliances.Collection(
            services, parent is not None
        ),
        _plain(virtualappliances.Item),
        lambda services, entity, rel: virtualappliances.Action(services, rel),
    ),
    'virtualmachine': Resources(
        _plain(virtualmachines.Collection),
        _plain(virtualmachines.Item),
        lambda services, entity, rel: virtualmachines.Action(services, rel),
    ),
    'user': Resources(_plain(users.Collection), _plain(users.Item)),
    'token': Resources(_plain(tokens.Collection), _plain(tokens.Item)),
}
_GENERIC = Resources()


def table(
    services: Services, routes: list[tuple[str, Any]]
) -> Iterator[tuple[str, Any]]:
    """Yield every (URI template below the prefix, resource) of the API.

    Args:
        services: the shared services.
        routes: the app's route list, which the OpenAPI resource reads.
    """
    yield from (
        ('/', root.Root(services)),
        ('', root.Root(services)),
        ('/schemas/v{version:int}/{name}.json', schemas.JsonSchema(services)),
        ('/xsd/v{version:int}/{name}.xsd', schemas.XmlSchema(services)),
        ('/openapi.json', openapi.OpenApi(services, routes)),
        ('/health', health.Health(services)),
        ('/diagnostics', task_actions.Diagnostics(services)),
        ('/signin', browser.SignIn(services)),
        ('/signout', browser.SignOut(services)),
    )
    for name, asset in ASSETS.items():
        yield f'/static/{name}', browser.StaticAsset(services, asset)
    for entity in ENTITIES.values():
        yield from _entity_routes(services, entity)


def _entity_routes(services: Services, entity: Entity) -> Iterator[tuple[str, Any]]:
    built = RESOURCES.get(entity.kind, _GENERIC)
    for parent in entity.parents:
        path = entity.collection_template(parent)
        yield path, built.collection(services, entity, parent)
    item = entity.item_template
    yield item, built.item(services, entity)
    if entity.tasks:
        yield f'{item}/tasks', tasks.EntityTasks(services, entity.kind)
    for rel in entity.actions:
        assert built.action is not None, f'{entity.kind} has actions but no resource'
        yield f'{item}/{rel}', built.action(services, entity, rel)
