"""What the client hands back: resources with links, collections that page
themselves, and tasks that can be waited for.

Every object is built from a representation the server sent; a client moves
on only by following one of its links by rel.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from abiq.client.codec import MediaType
from abiq.client.codec import media_type
from abiq.client.errors import NoSuchLink
from abiq.client.errors import ServiceUnavailable
from abiq.client.errors import TaskCancelled
from abiq.client.errors import TaskFailed
from abiq.client.errors import WaitTimeout

if TYPE_CHECKING:
    from abiq.client.session import Client
    from abiq.client.session import Reply

__all__ = ['Collection', 'Link', 'Resource', 'Task']

#: the statuses after which a task never changes (v1 has no ``cancelled``)
TERMINAL = frozenset({'finished', 'failed', 'cancelled'})
# NOTE: the longest ``Prefer: wait`` one request asks for; the server caps it
# (ABIQ_MAX_WAIT) and says what it applied.
LONGEST_WAIT = 30


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


class Task(Resource):
    """A task: poll it, wait for it, cancel or retry it."""

    @property
    def state(self) -> str:
        """The status in the version 2 vocabulary (a version 1 cancelled task
        reads ``cancelled``, not ``failed``)."""
        status = self.data['status']
        error = self.data.get('error') or {}
        if status == 'failed' and error.get('code') == 'TASK-CANCELLED':
            return 'cancelled'
        return status

    @property
    def done(self) -> bool:
        """Tell whether the task has ended."""
        return self.state in TERMINAL

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The task's errors (version 1 has at most one, ``error``)."""
        if 'errors' in self.data:
            return self.data['errors']
        error = self.data.get('error')
        return [error] if error else []

    def wait(
        self,
        timeout: float | None = None,
        on_progress: Callable[[Task], None] | None = None,
    ) -> Resource:
        """Wait until the task ends; return its result (the 303's target) or,
        for a task without one, the ended task.

        Each poll asks the server to hold the answer until the task changes
        (``Prefer: wait`` with ``If-None-Match``), so changes are seen at once
        without polling in a loop; a server that does not wait is polled
        after its ``Retry-After``.

        Args:
            timeout: seconds to wait at most (None: as long as it takes).
            on_progress: called with the task each time it changes.

        Raises:
            TaskFailed: it ended ``failed``.
            TaskCancelled: it ended ``cancelled``.
            WaitTimeout: it had not ended after ``timeout``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        task: Task = self
        if on_progress is not None:
            on_progress(task)
        long_poll = True
        while not task.done:
            left = LONGEST_WAIT if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise WaitTimeout(task, timeout or 0)
            seconds = max(1, min(LONGEST_WAIT, int(left))) if long_poll else 0
            try:
                reply = self.client.poll(task, seconds)
            except ServiceUnavailable as ex:
                # NOTE: every long poll of the server is taken: ask again
                # after its Retry-After, once without waiting.
                self._pause(ex.retry_after, deadline)
                long_poll = False
                continue
            long_poll = True
            if reply.status == 304:
                continue
            changed = Task(self.client, reply)
            if not reply.waited:
                self._pause(reply.retry_after, deadline)
            if changed.data != task.data and on_progress is not None:
                on_progress(changed)
            task = changed
        return task._ended()

    def _ended(self) -> Resource:
        state = self.state
        if state == 'failed':
            raise TaskFailed(self)
        if state == 'cancelled':
            raise TaskCancelled(self)
        if self.status == 303:
            return self.client.get(self._result())
        return self

    def _result(self) -> Link:
        """The link to the result: ``result`` (version 2), else the link
        whose href the 303's ``Location`` names (a version 1 ``target``)."""
        location = self.headers.get('Location')
        found = self.link_or_none('result')
        if found is None or (location and found.href != location):
            found = next((x for x in self.links if x.href == location), None)
        return found or Link('result', location or '')

    @staticmethod
    def _pause(seconds: float | None, deadline: float | None) -> None:
        # NOTE: a client waiting on a server that asked it to wait; this is
        # what Retry-After is for.
        delay = seconds if seconds is not None else 1.0
        if deadline is not None:
            delay = min(delay, max(0.0, deadline - time.monotonic()))
        time.sleep(delay)
