"""abiq's own per-request policies, one Falcon middleware component each.

``create_app`` registers them after the HTTP middleware (:mod:`abiq.cors`),
in this order. Falcon calls ``process_request`` and ``process_resource`` in
the order given and ``process_response`` in the reverse, so:

=================  ====================================  ===========================
component          before the responder                  after it (reverse order)
=================  ====================================  ===========================
``Session``        connect (unless ``uses_database``     roll back what is left
                   is false)                             open, return the connection
``RequestText``    request id, base URL; 400 for U+0000  ``X-Request-Id``
                   or a path/query not UTF-8
``Negotiation``    ``accepted``, ``urls`` (406)
``Authentication`` ``caller`` (401, 429)
``BrowserForms``   403 for a cross-site write (before       303 for a form's success
                   routing); a form read as its body,
                   its CSRF token checked
``AccountChanges``                                       fire "accounts changed"
``AnswerCache``    a finished task from memory           keep the task's answer; 304
``Idempotency``    claim or replay a keyed POST          store the keyed answer
=================  ====================================  ===========================

The base URL is known before anything can fail, so every error is written
with the request's links, in the error format ``Accept`` asks for; an
idempotent answer is stored, and accounts' listeners told, before the
transaction ends.
"""

from __future__ import annotations

from abiq.middleware.answers import AnswerCache
from abiq.middleware.browser import BrowserForms
from abiq.middleware.identity import AccountChanges
from abiq.middleware.identity import Authentication
from abiq.middleware.keyed import Idempotency
from abiq.middleware.negotiation import Negotiation
from abiq.middleware.session import Session
from abiq.middleware.text import RequestText

__all__ = [
    'AccountChanges',
    'AnswerCache',
    'Authentication',
    'BrowserForms',
    'Idempotency',
    'Negotiation',
    'RequestText',
    'Session',
]
