"""API errors: one exception type carrying an error collection.

Every failure a client can see is an :class:`ApiError` (or is turned into one
by :mod:`abiq.app`'s handlers) and is rendered as a ``vnd.abiq.errors``
document in the negotiated format::

    ApiError(status, [ErrorItem(code, message), ...], headers)
      <- bad_request / unauthorized / forbidden / not_found / conflict / ...

Codes are stable strings: status-derived (``404-NOT-FOUND``) or domain codes
(``TASK-1``, ``QUERY-0``). ``docs/errors.rst`` lists every one.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from abiq import exceptions
from abiq.exceptions import quoted

__all__ = [
    'DOMAIN_ERRORS',
    'ApiError',
    'ErrorItem',
    'api_error_of',
    'bad_request',
    'conflict',
    'forbidden',
    'not_found',
    'quoted',
    'unauthorized',
]

WWW_AUTHENTICATE = 'Basic realm="abiq", Bearer realm="abiq"'


@dataclass(frozen=True)
class ErrorItem:
    """One entry of an error collection."""

    code: str
    message: str


@dataclass
class ApiError(Exception):
    """An error answered to the client with an error collection.

    Args:
        status: the HTTP status code.
        errors: what went wrong, at least one entry.
        headers: extra response headers (``Allow``, ``WWW-Authenticate``, ...).
    """

    status: int
    errors: list[ErrorItem]
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def one(cls, status: int, code: str, message: str, **headers: str) -> ApiError:
        """Return an error with a single entry."""
        named = {key.replace('_', '-'): value for key, value in headers.items()}
        return cls(status, [ErrorItem(code, message)], named)

    def __str__(self) -> str:
        return f'{self.status} ' + '; '.join(
            f'{item.code}: {item.message}' for item in self.errors
        )


def bad_request(code: str, message: str) -> ApiError:
    """Return a 400 error."""
    return ApiError.one(400, code, message)


def unauthorized(message: str = 'Authentication is required') -> ApiError:
    """Return a 401 error with the challenge header."""
    return ApiError.one(
        401, '401-UNAUTHORIZED', message, WWW_Authenticate=WWW_AUTHENTICATE
    )


def forbidden(message: str) -> ApiError:
    """Return a 403 error: the caller's role lacks a privilege."""
    return ApiError.one(403, '403-FORBIDDEN', message)


def not_found(code: str = '404-NOT-FOUND', message: str | None = None) -> ApiError:
    """Return a 404 error (also used for other tenants' resources)."""
    return ApiError.one(404, code, message or 'The requested resource does not exist')


def conflict(code: str, message: str) -> ApiError:
    """Return a 409 error: the resource's state does not allow the request."""
    return ApiError.one(409, code, message)


# NOTE: the one place a domain refusal gets its status and code; the most
# specific class listed for an exception wins (checked along its MRO).
DOMAIN_ERRORS: dict[type[exceptions.DomainError], tuple[int, str]] = {
    exceptions.TaskNotFound: (404, 'TASK-1'),
    exceptions.NotFound: (404, '404-NOT-FOUND'),
    exceptions.NotOwner: (403, '403-FORBIDDEN'),
    exceptions.TaskEnded: (409, 'TASK-2'),
    exceptions.NotRetryable: (409, 'TASK-2'),
    exceptions.NotExternal: (409, 'TASK-3'),
    exceptions.Locked: (409, 'VM-2'),
    exceptions.NotAllowedNow: (409, 'VM-3'),
    exceptions.WrongState: (409, '409-CONFLICT'),
    exceptions.UnknownStatus: (400, 'QUERY-4'),
    exceptions.Invalid: (400, '400-BAD-REQUEST'),
}


def api_error_of(ex: exceptions.DomainError) -> ApiError:
    """Return the error a client sees for a domain refusal."""
    for cls in type(ex).__mro__:
        if cls in DOMAIN_ERRORS:
            status, code = DOMAIN_ERRORS[cls]
            return ApiError.one(status, code, ex.message)
    raise TypeError(f'{type(ex).__name__} has no entry in DOMAIN_ERRORS')
