"""The registry of entity kinds: the one table the HTTP edge reads them from.

Each :class:`Entity` says what a kind is called in URLs, which model holds
it, who may see one, how it is titled and rendered, and which routes it has.
:class:`abiq.links.Urls` builds URLs from the segments registered here, the resources
find rows with :meth:`Entity.get_visible`, and :mod:`abiq.resources.routes`
adds its routes. Request bodies name other entities by link, never by id;
:func:`resolve` turns such an href back into a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING
from typing import Any

from abiq.converters import parse_id
from abiq.db.domain import Template
from abiq.db.domain import VirtualAppliance
from abiq.db.domain import VirtualMachine
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import Token
from abiq.db.models import User
from abiq.domain.actions import VAPP_ACTIONS
from abiq.domain.actions import VM_ACTIONS
from abiq.errors import bad_request
from abiq.errors import quoted
from abiq.exceptions import NotFound
from abiq.links import SEGMENTS
from abiq.links import TARGETABLE
from abiq.representations import accounts
from abiq.representations import domain

if TYPE_CHECKING:
    from abiq.auth import Caller
    from abiq.links import Urls
    from abiq.paging import CollectionSpec

__all__ = [
    'ENTITIES',
    'KINDS',
    'SEGMENTS',
    'Crud',
    'Entity',
    'one_href',
    'register',
    'resolve',
    'unregister',
]

#: the message of every 404 (the same as :func:`abiq.errors.not_found`)
NOT_FOUND = 'The requested resource does not exist'


@dataclass(frozen=True)
class Crud:
    """How the generic resources (:mod:`abiq.resources.crud`) write a kind.

    Args:
        fields: the fields a POST or PUT copies from the body to the row.
        required: the fields a POST must give.
        writers: ``'admin'`` or ``'writer'``: the role that may change one.
        taken: the error code of a POST or PUT whose name is taken (409).
    """

    fields: tuple[str, ...]
    required: tuple[str, ...] = ('name',)
    writers: str = 'writer'
    taken: str = '409-CONFLICT'


@dataclass(frozen=True)
class Entity:
    """An entity kind of the API.

    Args:
        kind: the media type name of one (``task.target_kind`` too).
        segment: the URL segment of its collection (and that collection's
            media type name).
        model: the peewee model of its rows.
        id_field: the name of its id in route templates.
        enterprise_of: the id of the enterprise that owns a row (None for
            rows everyone may see).
        title_of: the title of links to a row.
        render: ``(row, urls, caller, version) -> document`` (tasks render
            with their jobs: :func:`abiq.representations.tasks.render_task`).
        parents: where its collection is: None at the root, else the kind
            whose item URL it hangs below (``enterprises/{id}/users``).
        tasks: whether an item has a ``tasks`` collection of its own.
        actions: the action rels below an item (each answers a task).
        target: whether a task may target it or end on it.
        visible: who may see a row, when not the owning enterprise's callers.
        paging: the sorting and search of its collection (generic resources).
        crud: how the generic resources write it (None: its own resources).
        converter: the route converter of its id (None: a string id).
    """

    kind: str
    segment: str
    model: Any
    id_field: str
    enterprise_of: Callable[[Any], int | None]
    title_of: Callable[[Any], str]
    render: Callable[..., dict[str, Any]] | None = None
    parents: tuple[str | None, ...] = (None,)
    tasks: bool = False
    actions: tuple[str, ...] = ()
    target: bool = True
    visible: Callable[[Caller, Any], bool] | None = None
    paging: CollectionSpec | None = None
    crud: Crud | None = None
    converter: str | None = 'id'

    def sees(self, caller: Caller, row: Any) -> bool:
        """Tell whether the caller may see a row."""
        if self.visible is not None:
            return self.visible(caller, row)
        owner = self.enterprise_of(row)
        return owner is None or caller.sees_enterprise(owner)

    def get_visible(self, caller: Caller, entity_id: Any) -> Any:
        """Return a row the caller may see.

        Raises:
            NotFound: 404 when there is none, or the caller may not see it.
        """
        model = self.model
        row = model.get_or_none(model.id == entity_id)
        if row is None or not self.sees(caller, row):
            raise NotFound(NOT_FOUND)
        return row

    @property
    def item_template(self) -> str:
        """Return the URI template of one (below the API prefix)."""
        converter = f':{self.converter}' if self.converter else ''
        return f'/{self.segment}/{{{self.id_field}{converter}}}'

    def collection_template(self, parent: str | None) -> str:
        """Return the URI template of its collection below a parent kind."""
        if parent is None:
            return f'/{self.segment}'
        return f'{ENTITIES[parent].item_template}/{self.segment}'


def _own_token(caller: Caller, token: Token) -> bool:
    # NOTE: tokens are private: only their user and administrators see them.
    return caller.is_admin or caller.user.id == token.user_id


_name = attrgetter('name')
_own_id = attrgetter('id')
_enterprise_id = attrgetter('enterprise_id')

#: kind -> its entry, in route order
ENTITIES: dict[str, Entity] = {}
#: the kinds a task can target or end on
KINDS: dict[str, Entity] = {}
_BY_SEGMENT: dict[str, Entity] = {}


def register(entity: Entity) -> Entity:
    """Add a kind to the registry (and its segment to :data:`SEGMENTS`)."""
    ENTITIES[entity.kind] = entity
    SEGMENTS[entity.kind] = entity.segment
    if entity.target:
        KINDS[entity.kind] = entity
        TARGETABLE.add(entity.kind)
        _BY_SEGMENT[entity.segment] = entity
    return entity


def unregister(kind: str) -> None:
    """Take a kind out of the registry again (tests that add one)."""
    entity = ENTITIES.pop(kind)
    del SEGMENTS[kind]
    KINDS.pop(kind, None)
    TARGETABLE.discard(kind)
    _BY_SEGMENT.pop(entity.segment, None)


for _entity in (
    Entity(
        'task',
        'tasks',
        Task,
        'task_id',
        _enterprise_id,
        lambda row: row.type,
        actions=('cancel', 'retry'),
        target=False,
        converter=None,
    ),
    Entity(
        'enterprise',
        'enterprises',
        Enterprise,
        'enterprise_id',
        _own_id,
        _name,
        accounts.render_enterprise,
        tasks=True,
    ),
    Entity(
        'template',
        'templates',
        Template,
        'template_id',
        lambda row: None,
        _name,
        domain.render_template,
    ),
    Entity(
        'virtualappliance',
        'virtualappliances',
        VirtualAppliance,
        'vapp_id',
        _enterprise_id,
        _name,
        domain.render_vapp,
        parents=(None, 'enterprise'),
        tasks=True,
        actions=tuple(VAPP_ACTIONS),
    ),
    Entity(
        'virtualmachine',
        'virtualmachines',
        VirtualMachine,
        'vm_id',
        lambda row: row.virtualappliance.enterprise_id,
        _name,
        domain.render_vm,
        parents=('virtualappliance',),
        tasks=True,
        actions=tuple(VM_ACTIONS),
    ),
    Entity(
        'user',
        'users',
        User,
        'user_id',
        _enterprise_id,
        _name,
        accounts.render_user,
        parents=('enterprise',),
    ),
    Entity(
        'token',
        'tokens',
        Token,
        'token_id',
        lambda row: None,
        _name,
        accounts.render_token,
        parents=('user',),
        target=False,
        visible=_own_token,
    ),
):
    register(_entity)


def one_href(doc: dict[str, Any], rel: str) -> str | None:
    """Return the href of a body's link with a rel, or None without one.

    Raises:
        ApiError: 400 when the body links more than one href with the rel.
    """
    # NOTE: each href resolved is a query; a body repeating one costs one.
    hrefs = {link['href'] for link in doc.get('links', ()) if link['rel'] == rel}
    if len(hrefs) > 1:
        raise bad_request(
            '400-BAD-REQUEST', f'/links: a body has at most one link with rel {rel!r}'
        )
    return next(iter(hrefs), None)


def resolve(urls: Urls, href: str, rel: str) -> tuple[Entity, Any]:
    """Return the kind and row an href of this API points at.

    Raises:
        ApiError: 400 when the href is not an entity of this API.
    """
    prefix = urls.base + '/'
    path = href[len(prefix) :] if href.startswith(prefix) else ''
    parts = path.split('?')[0].strip('/').split('/')
    kind = _BY_SEGMENT.get(parts[0]) if len(parts) == 2 else None
    entity_id = parse_id(parts[1]) if kind is not None else None
    row = None
    if entity_id is not None:
        row = kind.model.get_or_none(kind.model.id == entity_id)
    if row is None:
        raise bad_request(
            '400-BAD-REQUEST',
            f'The {rel} link {quoted(href)!r} does not point at an entity of this API',
        )
    return kind, row
