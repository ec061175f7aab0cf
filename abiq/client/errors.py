"""Exceptions of the client: one per kind of failure, built from the server's
error collections (every code and message kept)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abiq.client.tasks import Task

__all__ = [
    'AbiqError',
    'ApiError',
    'BadRequest',
    'Conflict',
    'ErrorItem',
    'Forbidden',
    'NoSuchLink',
    'NotAcceptable',
    'NotFound',
    'PayloadTooLarge',
    'PreconditionFailed',
    'ServerError',
    'ServiceUnavailable',
    'TaskCancelled',
    'TaskFailed',
    'Unauthorized',
    'UnprocessableContent',
    'UnsupportedMediaType',
    'WaitTimeout',
    'error_for',
]


class AbiqError(Exception):
    """Base of everything the client raises on purpose."""


@dataclass(frozen=True)
class ErrorItem:
    """One entry of an error collection."""

    code: str
    message: str


class ApiError(AbiqError):
    """The server answered with an error collection.

    Attributes:
        status: the HTTP status.
        errors: every entry of the collection, in order.
        code: the first entry's code (``TASK-1``, ``VM-2``, ...).
        message: the first entry's message.
        retry_after: the server's ``Retry-After`` (seconds), if it sent one.
    """

    def __init__(
        self, status: int, errors: list[ErrorItem], retry_after: float | None = None
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.errors = errors or [ErrorItem(f'{status}', 'No error document')]
        self.code = self.errors[0].code
        self.message = self.errors[0].message
        detail = '; '.join(f'{item.code}: {item.message}' for item in self.errors)
        super().__init__(f'{status} {detail}')


class BadRequest(ApiError):
    """400: the request was wrong (a field, a query parameter)."""


class Unauthorized(ApiError):
    """401: missing or bad credentials."""


class Forbidden(ApiError):
    """403: the caller's role may not do this."""


class NotFound(ApiError):
    """404: the resource does not exist, or is another tenant's."""


class NotAcceptable(ApiError):
    """406: the server cannot answer in the format or version asked for."""


class Conflict(ApiError):
    """409: not possible in the current state (a locked machine, an ended task)."""


class PreconditionFailed(ApiError):
    """412: the resource changed since it was read (its ``If-Match`` no
    longer holds); nothing was done. Read it again and decide."""


class PayloadTooLarge(ApiError):
    """413: the body was over the server's limit."""


class UnsupportedMediaType(ApiError):
    """415: the body's media type or version is not accepted there."""


class UnprocessableContent(ApiError):
    """422: an Idempotency-Key reused with another body."""


class ServiceUnavailable(ApiError):
    """503: the server cannot answer now; try again later."""


class ServerError(ApiError):
    """500 or another 5xx: a fault on the server's side."""


_BY_STATUS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    406: NotAcceptable,
    409: Conflict,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: UnprocessableContent,
    503: ServiceUnavailable,
}


def error_for(
    status: int, errors: list[ErrorItem], retry_after: float | None = None
) -> ApiError:
    """Return the exception for an error status and its collection."""
    kind = _BY_STATUS.get(status)
    if kind is None:
        kind = ServerError if status >= 500 else ApiError
    return kind(status, errors, retry_after)


class NoSuchLink(AbiqError):
    """A resource has no link with the rel asked for (the action is not
    allowed now, or the rel does not exist)."""

    def __init__(self, rel: str, available: list[str]) -> None:
        self.rel = rel
        self.available = available
        super().__init__(f'no {rel!r} link here; links: {", ".join(available)}')


class TaskFailed(AbiqError):
    """A task the client waited for ended ``failed``.

    Attributes:
        task: the task as it ended.
        errors: its errors (code, message).
        code: the first error's code.
    """

    def __init__(self, task: Task) -> None:
        self.task = task
        self.errors = [
            ErrorItem(item.get('code', ''), item.get('message', ''))
            for item in task.errors
        ]
        self.code = self.errors[0].code if self.errors else 'TASK-FAILED'
        message = self.errors[0].message if self.errors else 'the task failed'
        super().__init__(f'task {task["id"]} failed: {self.code}: {message}')


class TaskCancelled(AbiqError):
    """A task the client waited for ended ``cancelled``."""

    code = 'TASK-CANCELLED'

    def __init__(self, task: Task) -> None:
        self.task = task
        super().__init__(f'task {task["id"]} was cancelled')


class WaitTimeout(AbiqError):
    """The task had not ended when the wait's timeout passed."""

    code = 'WAIT-TIMEOUT'

    def __init__(self, task: Task, timeout: float) -> None:
        self.task = task
        super().__init__(
            f'task {task["id"]} is still {task["status"]} after {timeout:g} s'
        )
