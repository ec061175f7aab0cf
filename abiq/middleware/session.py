"""The database session of a request: connected before, ended after."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import peewee
from playhouse.pool import PooledDatabase

from abiq.db.faults import discard_connection
from abiq.db.models import database

if TYPE_CHECKING:
    import falcon

__all__ = ['STORE_ERRORS', 'Session']

#: what a broken connection or a failed statement raises
STORE_ERRORS = (peewee.DatabaseError, peewee.InterfaceError)


class Session:
    """Falcon middleware: a connection for the resource, ended after it.

    Registered first of abiq's own, so its ``process_response`` runs last:
    what the others do after the responder (an idempotent answer stored)
    is inside the request's session, and the rollback comes after it all.
    """

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        params: dict[str, Any],
    ) -> None:
        """Connect, unless the resource does without the database."""
        if getattr(resource, 'uses_database', True):
            # NOTE: each server thread keeps its SQLite connection open
            # between requests (opening one costs more than the query);
            # PostgreSQL ones go back to the pool after each request. A
            # database that cannot be reached is a fault (abiq.db.faults):
            # the error handler answers 503.
            database.connect(reuse_if_open=True)

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: Any,
        req_succeeded: bool,
    ) -> None:
        """Roll back what a failed request left open; return pooled connections."""
        try:
            if not database.is_closed() and database.in_transaction():
                database.rollback()
            if isinstance(database.obj, PooledDatabase):
                # NOTE: back to the pool: with several API processes the pool,
                # not the server threads, bounds connections to PostgreSQL.
                database.close()
        except STORE_ERRORS:
            # NOTE: the connection broke under this request; the answer
            # stands (a fault was already answered 503), the connection goes.
            discard_connection()
