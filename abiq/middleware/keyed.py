"""``Idempotency-Key`` on POST, around the responder (see :mod:`abiq.idempotency`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from typing import Any

from abiq import idempotency
from abiq.db.faults import discard_connection
from abiq.middleware.session import STORE_ERRORS

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config

__all__ = ['Idempotency']

log = logging.getLogger('abiq')


class Idempotency:
    """Falcon middleware: claim or replay a keyed POST; store its answer.

    Runs once the caller is known (the key is the caller's); its
    ``process_response`` stores the answer before the session ends.

    Args:
        config: ``max_body`` and ``task_lease``.
    """

    def __init__(self, config: Config) -> None:
        self.config = config

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        """Claim the key of a POST; a repeat's stored answer completes it."""
        if req.method != 'POST' or req.get_header('Idempotency-Key') is None:
            return
        caller = req.context.caller
        if caller is not None:
            user_id = caller.user.id
            resp.complete = idempotency.begin(req, resp, user_id, self.config)

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Store a keyed POST's answer; a database fault does not change it."""
        try:
            idempotency.finish(req, resp)
        except STORE_ERRORS as ex:
            # NOTE: the work behind the answer is done (a 202's task is
            # committed); turning it into a 503 would invite a second
            # submission. The key's record stays unfinished and frees itself
            # after the lease.
            log.warning('could not store the answer of an idempotent request: %s', ex)
            discard_connection()
