"""The answer's media type, negotiated before the responder runs."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from abiq.errors import ApiError
from abiq.links import Urls
from abiq.media import Accepted
from abiq.media import MediaTypeError

if TYPE_CHECKING:
    import falcon

    from abiq.media import Negotiator

__all__ = ['Negotiation']


class Negotiation:
    """Falcon middleware: ``req.context.accepted`` and ``req.context.urls``.

    A resource says what each method answers (``answers``: method -> media
    type name; ``any_name``: methods that may answer another of our types);
    ``Accept`` chooses the format and version. A method that answers none
    of our types gets the error format's, should it fail.

    Args:
        negotiator: the application's negotiator.
    """

    def __init__(self, negotiator: Negotiator) -> None:
        self.negotiator = negotiator

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        """Negotiate the answer's media type; 406 when none will do."""
        method = 'GET' if req.method == 'HEAD' else req.method
        name = getattr(resource, 'answers', {}).get(method)
        accepted = Accepted('errors', 'json', self.negotiator.latest)
        if name:
            any_name = method in getattr(resource, 'any_name', ())
            try:
                accepted = self.negotiator.negotiate(
                    req.accept, name, any_name=any_name
                )
            except MediaTypeError as ex:
                raise ApiError.one(ex.status, ex.code, ex.message) from ex
        req.context.accepted = accepted
        req.context.urls = Urls(req.context.base, self.negotiator.vendor, accepted)
