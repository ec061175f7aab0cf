"""What a page needs besides its document: who asks, and what the resource
offers (its sort fields, the bodies it reads), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from abiq.html.csrf import csrf_token

__all__ = ['FormState', 'PageFacts', 'page_facts']


@dataclass(frozen=True)
class FormState:
    """A form the browser sent: what to show again when it was refused.

    Args:
        action: where it was sent.
        method: the method the form asked for (``_method`` applied).
        body: the media type name of the body it stood for (None: no body).
        values: the fields as typed (every value a string).
    """

    action: str
    method: str
    body: str | None
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PageFacts:
    """The request-side facts of a page.

    Args:
        caller: the caller's user name (None when not signed in).
        role: the caller's role.
        csrf: the caller's CSRF token, sent back by every form.
        signed_in_by_cookie: the caller signed in with the token form (the
            page offers to sign out).
        query: the request's query string (the search and sort shown).
        sort_fields: the ``by`` values of a collection.
        searchable: whether the collection reads ``has``.
        required: method -> the fields its body must carry.
        deletable: whether the resource answers DELETE.
        status: the answer's status.
        form: the form that was refused, if this page answers one.
    """

    caller: str | None = None
    role: str | None = None
    csrf: str | None = None
    signed_in_by_cookie: bool = False
    query: str = ''
    sort_fields: tuple[str, ...] = ()
    searchable: bool = False
    required: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deletable: bool = False
    status: int = 200
    form: FormState | None = None


def page_facts(req: Any, resource: Any = None, status: int = 200) -> PageFacts:
    """Return the facts of the page answering a request.

    ``resource`` is read for what it declares (see
    :class:`abiq.resources.base.Resource`): its paging, the bodies it
    reads and whether it answers DELETE.
    """
    caller = getattr(req.context, 'caller', None)
    paging = getattr(resource, 'paging', None)
    reads = getattr(resource, 'reads', {})
    return PageFacts(
        caller=caller.user.name if caller else None,
        role=caller.user.role if caller else None,
        csrf=csrf_token(caller) if caller else None,
        signed_in_by_cookie=getattr(req.context, 'cookie_auth', False),
        query=req.query_string,
        sort_fields=tuple(paging.sort_fields) if paging else (),
        searchable=bool(paging and paging.text_fields),
        required={method: body.required for method, body in reads.items()},
        deletable=hasattr(resource, 'on_delete'),
        status=status,
        form=_refused_form(req, status),
    )


def _refused_form(req: Any, status: int) -> FormState | None:
    """Return the form to show again: one whose body was refused (400).

    APPSEC: never one refused for what it is (403: no CSRF token, another
    site's): a "send again" button would let a forged form through with
    this page's token. Nor a success: a new token's 201 shows what it made.
    """
    form = getattr(req.context, 'form_state', None)
    if status != 400 or form is None or form.body is None:
        return None
    return form
