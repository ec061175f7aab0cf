"""What every resource shares: services, the caller, sending documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from abiq.errors import forbidden
from abiq.errors import not_found
from abiq.paging import CollectionSpec
from abiq.paging import Page
from abiq.paging import PageParams
from abiq.paging import page_links

if TYPE_CHECKING:
    import falcon

    from abiq.auth import Authenticator
    from abiq.auth import Caller
    from abiq.config import Config
    from abiq.finished import FinishedTasks
    from abiq.links import Urls
    from abiq.longpoll import Waiter
    from abiq.media import Accepted
    from abiq.representation import Codec
    from abiq.tasks.engine import Engine

__all__ = ['Resource', 'Services']


@dataclass(frozen=True)
class Services:
    """The long-lived objects resources depend on, injected by create_app."""

    config: Config
    codec: Codec
    authenticator: Authenticator
    engine: Engine
    waiter: Waiter
    finished: FinishedTasks


class Resource:
    """Base of every resource.

    Class attributes:
        answers: HTTP method -> media type name of the answer (negotiated
            from ``Accept`` before the responder runs).
        any_name: methods that may answer with a task; any of our entity
            types in ``Accept`` is read for its format and version only.
        auth: whether the caller must authenticate.
        changes_accounts: whether its unsafe methods change users or
            tokens (the remembered credentials are then forgotten).
    """

    answers: dict[str, str] = {}
    any_name: frozenset[str] = frozenset()
    auth = True
    changes_accounts = False

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

    @staticmethod
    def visible(caller: Caller, enterprise_id: int, code: str = '404-NOT-FOUND'):
        """Answer 404 when a resource belongs to an enterprise the caller cannot see."""
        if not caller.sees_enterprise(enterprise_id):
            raise not_found(code)

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
        self.codec.send(resp, doc, accepted, self.urls(req))

    def page(
        self,
        req: falcon.Request,
        select: Any,
        spec: CollectionSpec,
        count: Any = None,
    ) -> Page:
        """Run a collection query for the request's paging parameters
        (``count``: see :meth:`abiq.paging.Page.fetch`)."""
        params = PageParams.parse(req.query_string, spec, self.config.max_page)
        return Page.fetch(select, params, spec, count)

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
