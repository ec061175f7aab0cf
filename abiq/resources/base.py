"""What every resource shares: services, the caller, sending documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import falcon

from abiq import preconditions
from abiq.entities import ENTITIES
from abiq.errors import forbidden
from abiq.html.facts import page_facts
from abiq.paging import CollectionSpec
from abiq.paging import Page
from abiq.paging import PageParams
from abiq.paging import page_links

if TYPE_CHECKING:
    from abiq.auth import Authenticator
    from abiq.auth import Caller
    from abiq.codec import Codec
    from abiq.config import Config
    from abiq.finished import FinishedTasks
    from abiq.links import Urls
    from abiq.longpoll import Waiter
    from abiq.media import Accepted
    from abiq.polled import PolledTasks
    from abiq.signals import AccountEvents
    from abiq.tasks.engine import Engine

__all__ = ['Body', 'Resource', 'Services']


@dataclass(frozen=True)
class Services:
    """The long-lived objects resources depend on, injected by create_app."""

    config: Config
    codec: Codec
    authenticator: Authenticator
    engine: Engine
    waiter: Waiter
    finished: FinishedTasks
    accounts: AccountEvents
    polled: PolledTasks


@dataclass(frozen=True)
class Body:
    """The request body a method reads.

    Args:
        name: its media type name (``application/json`` is read as it).
        required: the fields the operation needs (``/{field}: is required``).
    """

    name: str
    required: tuple[str, ...] = ()


class Resource:
    """Base of every resource.

    What a resource declares here drives the request handling and, read by
    :mod:`abiq.openapi`, the OpenAPI document: one declaration, not two.

    Class attributes:
        answers: HTTP method -> media type name of the answer (negotiated
            from ``Accept`` before the responder runs).
        any_name: methods that may answer with a task; any of our entity
            types in ``Accept`` is read for its format and version only.
        auth: whether the caller must authenticate.
        changes_accounts: whether its unsafe methods change users, tokens
            or enterprises (:class:`abiq.middleware.AccountChanges` then
            fires the "accounts changed" signal).
        reads: HTTP method -> the body it reads (:meth:`read`).
        paging: the sort and search fields of a collection's GET (:meth:`page`).
        filters: query parameters a GET reads besides paging -> JSON Schema.
        statuses: HTTP method -> the statuses it answers when it succeeds
            (200 when not listed).
        request_headers: HTTP method -> the optional request headers it
            reads (``Prefer``, ``If-None-Match``).
        conditional: methods that evaluate ``If-Match`` and
            ``If-Unmodified-Since`` (:meth:`check`).
        other_answers: HTTP method -> (content type, JSON Schema) of an
            answer that is not one of our media types (health, schemas).
        tag: the OpenAPI tag of its operations (None: its module's name).
        tag_text: the description of that tag (None: its module's first
            docstring line).
    """

    answers: dict[str, str] = {}
    any_name: frozenset[str] = frozenset()
    auth = True
    changes_accounts = False
    reads: dict[str, Body] = {}
    paging: CollectionSpec | None = None
    filters: dict[str, dict[str, Any]] = {}
    statuses: dict[str, tuple[int, ...]] = {}
    request_headers: dict[str, tuple[str, ...]] = {}
    conditional: frozenset[str] = frozenset({'PUT', 'PATCH', 'DELETE'})
    other_answers: dict[str, tuple[str, dict[str, Any]]] = {}
    tag: str | None = None
    tag_text: str | None = None

    def __init__(self, services: Services) -> None:
        self.services = services
        self.config = services.config
        self.codec = services.codec

    # -- request context -------------------------------------------------

    @staticmethod
    def caller(req: falcon.Request) -> Caller:
        """Return the authenticated caller."""
        return req.context.caller

    @staticmethod
    def urls(req: falcon.Request) -> Urls:
        """Return the URL builder of this request."""
        return req.context.urls

    @staticmethod
    def accepted(req: falcon.Request) -> Accepted:
        """Return the negotiated representation of the answer."""
        return req.context.accepted

    def require_writer(self, req: falcon.Request) -> Caller:
        """Return the caller, or answer 403 when the role is read-only."""
        caller = self.caller(req)
        if not caller.can_write:
            raise forbidden('The viewer role cannot change anything')
        return caller

    def require_admin(self, req: falcon.Request) -> Caller:
        """Return the caller, or answer 403 unless it is an administrator."""
        caller = self.caller(req)
        if not caller.is_admin:
            raise forbidden('Only administrators may do this')
        return caller

    def lookup(self, req: falcon.Request, kind: str, entity_id: Any) -> Any:
        """Return the entity of a kind with an id, if the caller may see it.

        Raises:
            NotFound: 404 when there is none, or it is another tenant's.
        """
        return ENTITIES[kind].get_visible(self.caller(req), entity_id)

    def render(self, req: falcon.Request, kind: str, row: Any) -> dict[str, Any]:
        """Return the document of a row, in the negotiated version."""
        render = ENTITIES[kind].render
        return render(row, self.urls(req), self.caller(req), self.accepted(req).version)

    def read(self, req: falcon.Request) -> dict[str, Any]:
        """Return the valid body of a request, as :attr:`reads` describes it.

        Raises:
            ApiError: 413, 415 or 400 (see :meth:`abiq.codec.Codec.read`).
        """
        body = self.reads[req.method]
        return self.codec.read(req, (body.name,), required=body.required)[1]

    # -- answers -------------------------------------------------------

    def send(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        doc: dict[str, Any],
        name: str | None = None,
    ) -> None:
        """Send a document as the negotiated media type (or ``name``)."""
        accepted = self.accepted(req)
        if name and name != accepted.name:
            accepted = accepted.as_name(name)
        facts = page_facts(req, self, resp.status_code) if accepted.view else None
        self.codec.send(resp, doc, accepted, self.urls(req), facts)
        if req.method in ('GET', 'HEAD'):
            preconditions.not_modified(req, resp)
        preconditions.without_validators(req, resp)

    def created(
        self, req: falcon.Request, resp: falcon.Response, kind: str, row: Any
    ) -> None:
        """Answer 201 with a new entity's document and its ``Location``."""
        self.send(req, resp, self.render(req, kind, row))
        resp.status = falcon.HTTP_201
        resp.location = self.urls(req).of(kind, row.id)

    @staticmethod
    def no_content(resp: falcon.Response) -> None:
        """Answer 204, with the cache directives of every answer."""
        resp.status = falcon.HTTP_204
        resp.cache_control = preconditions.NOT_FINAL

    def check(self, req: falcon.Request, **ids: Any) -> None:
        """Evaluate the request's preconditions (see :mod:`abiq.preconditions`)."""
        preconditions.check(self, req, **ids)

    def current(self, req: falcon.Request, resp: falcon.Response, **ids: Any) -> None:
        """Answer what a GET answers now: what a write's preconditions are
        checked against (the negotiated variant is set by the caller)."""
        req.context.accepted = self.accepted(req).as_name(self.answers['GET'])
        self.on_get(req, resp, **ids)  # type: ignore[attr-defined]

    def page(self, req: falcon.Request, select: Any, count: Any = None) -> Page:
        """Run a collection query for the request's paging parameters, as
        :attr:`paging` describes them (``count``: see
        :meth:`abiq.paging.Page.fetch`)."""
        spec = self.paging
        assert spec is not None, f'{type(self).__name__} declares no paging'
        params = PageParams.parse(req.query_string, spec, self.config.max_page)
        return Page.fetch(select, params, spec, count)

    def list_page(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        kind: str,
        select: Any,
        href_for: Any,
        links: list[dict[str, str]] = (),  # type: ignore[assignment]
    ) -> None:
        """Answer a page of ``select``: each row rendered as its kind, the
        paging links (``href_for(query)``), then ``links``."""
        render = ENTITIES[kind].render
        assert render is not None, f'{kind} has no renderer of its own'
        page = self.page(req, select)
        urls, caller = self.urls(req), self.caller(req)
        version = self.accepted(req).version
        items = [render(row, urls, caller, version) for row in page.items]
        self.send(req, resp, self.collection(req, page, items, href_for, links))

    def collection(
        self,
        req: falcon.Request,
        page: Page,
        items: list[dict[str, Any]],
        href_for: Any,
        links: list[dict[str, str]] = (),  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Return a collection document: paging links, extra links, items."""
        accepted = self.accepted(req)
        item_type = self.urls(req).accepted.link_type(self.config.vendor, accepted.name)
        all_links = [dict(link, type=item_type) for link in page_links(page, href_for)]
        return {
            'links': all_links + list(links),
            'totalSize': page.total,
            'collection': items,
        }
