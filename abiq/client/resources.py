"""What the client hands back: resources with links, and collections that
page themselves (tasks, which can be waited for: :mod:`abiq.client.tasks`).

Every object is built from a representation the server sent; a client moves
on only by following one of its links by rel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from abiq.client.codec import MediaType
from abiq.client.codec import media_type
from abiq.client.errors import NoSuchLink

if TYPE_CHECKING:
    from abiq.client.session import Client
    from abiq.client.session import Reply

__all__ = ['Collection', 'Link', 'Resource']


@dataclass(frozen=True)
class Link:
    """One link of a representation.

    Attributes:
        rel: what the link means (``self``, ``deploy``, ``virtualmachines``...).
        href: where it leads, as the server wrote it.
        type: the media type of its target, when the server said.
        title: a label (a machine's name on its ``self`` link), if any.
    """

    rel: str
    href: str
    type: str | None = None
    title: str | None = None

    @property
    def media(self) -> MediaType | None:
        """The target's media type, when it is one of the API's."""
        return media_type(self.type)


class Resource:
    """A representation: its fields, its links, and where they lead.

    Fields read like a dict (``vm['state']``, ``vm.get('ip')``); ``data``
    holds them all, links aside. The client builds resources from answers.
    Its writes (``act``, ``edit``, ``delete``) send ``If-Match`` with the
    ETag it was read with: if it changed since, PreconditionFailed is raised.

    Attributes:
        links: the representation's links (:class:`Link`), in order.
        data: its fields, links aside.
        status: the HTTP status it came with (``200``, ``201``, ``202``,
            ``303``...).
        headers: the answer's headers (``Location``, ``ETag``...).
        media: its media type (name, format, version), None when not one of
            the API's.
        body: the document as the server sent it (JSON or XML bytes).
        client: the :class:`Client` that read it.
    """

    def __init__(self, client: Client, reply: Reply) -> None:
        self.client = client
        self.media = reply.media
        self.status = reply.status
        self.headers = reply.headers
        self.body = reply.body  # as the server sent it (JSON or XML)
        doc = dict(reply.doc)
        self.links = [
            Link(item['rel'], item['href'], item.get('type'), item.get('title'))
            for item in doc.pop('links', [])
        ]
        self.data = doc

    def __repr__(self) -> str:
        name = self.media.name if self.media else 'resource'
        label = self.data.get('name') or self.data.get('id') or self.href
        return f'<{name} {label}>'

    def __getitem__(self, field: str) -> Any:
        return self.data[field]

    def get(self, field: str, default: Any = None) -> Any:
        """Return a field, or ``default`` when the representation lacks it."""
        return self.data.get(field, default)

    @property
    def href(self) -> str | None:
        """The ``self`` link's href (None when there is none)."""
        found = self.link_or_none('self')
        return found.href if found else None

    def has(self, rel: str) -> bool:
        """Tell whether the representation has a link with this rel."""
        return self.link_or_none(rel) is not None

    def link_or_none(self, rel: str) -> Link | None:
        """Return the first link with this rel, or None."""
        return next((link for link in self.links if link.rel == rel), None)

    def link(self, rel: str) -> Link:
        """Return the first link with this rel.

        Raises:
            NoSuchLink: there is none (an action not allowed now, say).
        """
        found = self.link_or_none(rel)
        if found is None:
            raise NoSuchLink(rel, [link.rel for link in self.links])
        return found

    def follow(self, rel: str) -> Resource:
        """GET the target of a link; a collection comes back as a
        :class:`Collection`, a task as a :class:`Task`."""
        return self.client.get(self.link(rel))

    def refresh(self) -> Resource:
        """Read this resource again (its ``self`` link)."""
        return self.follow('self')

    def act(
        self, rel: str, body: dict[str, Any] | None = None, *, body_type: str = ''
    ) -> Resource:
        """POST to an action link (``deploy``, ``cancel``, ``retry``,
        ``diagnostics``...); a started action answers a :class:`Task`.

        Args:
            rel: the action's rel.
            body: the request document, if the action takes one.
            body_type: its media type name (``sleep``) when it is not the
                link's own type.
        """
        return self.client.post(
            self.link(rel), body, body_type=body_type, etag=self.headers.get('ETag')
        )

    def edit(self, **fields: Any) -> Resource:
        """PUT the given fields to the ``edit`` link (fields left out keep
        their value); work that takes time answers a :class:`Task`."""
        return self.client.put(self.link('edit'), fields, etag=self.headers.get('ETag'))

    def delete(self) -> Resource | None:
        """DELETE through the ``edit`` link: None once gone (204), or the
        :class:`Task` that deletes it (202)."""
        return self.client.delete(self.link('edit'), etag=self.headers.get('ETag'))


class Collection(Resource):
    """A paged collection; iterating it walks every page by ``next``."""

    @property
    def total(self) -> int:
        """How many items the whole collection holds (``totalSize``)."""
        return self.data['totalSize']

    @property
    def items(self) -> list[Resource]:
        """The items of this page, each a resource of its own."""
        return [self.client.item(self, doc) for doc in self.data['collection']]

    def __iter__(self) -> Iterator[Resource]:
        page: Collection | None = self
        while page is not None:
            yield from page.items
            page = page.follow('next') if page.has('next') else None  # type: ignore[assignment]

    def __len__(self) -> int:
        return self.total

    def find(self, **fields: Any) -> Resource:
        """Return the first item whose fields have these values.

        Raises:
            LookupError: no item matches.
        """
        for item in self:
            if all(item.get(name) == value for name, value in fields.items()):
                return item
        raise LookupError(f'no item with {fields} in {self.href}')

    def create(
        self,
        fields: dict[str, Any] | None = None,
        *,
        links: dict[str, Resource | str] | None = None,
    ) -> Resource:
        """POST a new item to the ``create`` link.

        Args:
            fields: the new item's fields.
            links: relations by rel (``{'template': template}``); a value is
                a resource or an href.
        """
        body = dict(fields or {})
        if links:
            body['links'] = [
                {'rel': rel, 'href': value if isinstance(value, str) else value.href}
                for rel, value in links.items()
            ]
        return self.client.post(self.link('create'), body)
