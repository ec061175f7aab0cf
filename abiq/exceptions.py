"""What the domain and the task engine refuse, said without HTTP.

The engine, the task records and the domain raise these; the HTTP edge
(:data:`abiq.errors.DOMAIN_ERRORS`) maps each class to the status and error
code a client sees, in one table. Code below the edge never names a status.
"""

from __future__ import annotations

__all__ = [
    'DomainError',
    'Invalid',
    'Locked',
    'NotAllowedNow',
    'NotExternal',
    'NotFound',
    'NotOwner',
    'NotRetryable',
    'TaskEnded',
    'TaskNotFound',
    'UnknownStatus',
    'WrongState',
    'quoted',
]

# APPSEC: a message quotes at most this much of what the client sent, so an
# error document is never an amplifier (a 200 KB header echoed back).
ECHO_LIMIT = 200


def quoted(text: object, limit: int = ECHO_LIMIT) -> str:
    """Return client input for a message: at most ``limit`` characters.

    A longer text keeps its start and its end around an ellipsis, so both
    what it began with and the rule a message ends on stay readable.
    """
    text = str(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) * 3 // 4
    tail = limit - 1 - head
    return f'{text[:head]}\u2026{text[len(text) - tail :]}'


class DomainError(Exception):
    """A rule of the domain refused an operation.

    Args:
        message: what a person reads: why, and what to do instead.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The entity does not exist, or the caller may not see it."""


class TaskNotFound(NotFound):
    """The task does not exist, has expired or belongs to another tenant."""


class NotOwner(DomainError):
    """Only the entity's creator (or an administrator) may do this."""


class WrongState(DomainError):
    """The entity's state does not allow the operation now."""


class TaskEnded(WrongState):
    """The task has ended and can no longer change."""


class NotRetryable(WrongState):
    """Only failed or cancelled server-run tasks can be retried."""


class NotExternal(WrongState):
    """Only external tasks can be updated by a client."""


class Locked(WrongState):
    """Another task holds the entity."""

    @classmethod
    def held(cls, what: str) -> Locked:
        """Return the refusal for an entity (``Virtual machine web``) a task holds."""
        return cls(f'{what} is locked by another operation; wait for its task to end')


class NotAllowedNow(WrongState):
    """The entity's state does not allow this action (deploy, power on...)."""

    @classmethod
    def in_state(cls, what: str, state: str) -> NotAllowedNow:
        """Return the refusal for an entity in a state that forbids the action."""
        return cls(f'{what} is {state}; this action is not allowed now')


class Invalid(DomainError):
    """A value the caller gave breaks a rule."""


class UnknownStatus(Invalid):
    """A task status (or alias) that does not exist."""
