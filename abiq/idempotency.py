"""``Idempotency-Key`` on POST: the same request twice starts work once.

The first request with a key stores a "processing" record before it runs,
and its answer when it ends. A repeat (same user, key, URL) within
:data:`KEEP` gets the stored answer, marked ``Idempotent-Replayed: true``;
with another body, 422 ``IDEMPOTENCY-1``; while the first is still running,
409 ``IDEMPOTENCY-2``. Answers with a 5xx status are not kept, so the client
can try again; nor is a 400 (see below).

No secret at rest: a resource whose answer shows a secret once (a new
token) gives this module, with :func:`keep`, the answer to store instead,
without the secret; a replay gets that one. A 400 is not kept, since its
message may quote the request (a password that failed validation); it
changed nothing, so a repeat is simply checked again. Only a hash of the request body is
stored, to tell a repeat from another request.

Keys never stick: a first request that died between :func:`begin` and
:func:`finish` (its process killed) leaves a "processing" record behind.
The record's ``created_at`` is the request's claim, like a worker's lease:
a request that long-polls (``Prefer: wait``) moves it to the end of its wait
first (:func:`hold`). Once the claim is older than ``ABIQ_TASK_LEASE``, the
record counts as abandoned: the next repeat takes it over with a
conditional UPDATE (only one of two racing repeats changes the row) and runs
as new. A request whose record was taken over stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

import orjson
import peewee

from abiq.db.models import IdempotencyRecord
from abiq.db.models import utcnow
from abiq.errors import ApiError
from abiq.errors import bad_request
from abiq.errors import conflict

if TYPE_CHECKING:
    import falcon

    from abiq.config import Config

__all__ = ['KEEP', 'begin', 'finish', 'hold', 'keep']

KEEP = dt.timedelta(hours=24)
_REPLAYED_HEADERS = (
    'Location',
    'Content-Location',
    'Content-Type',
    'Retry-After',
    'ETag',
    'Expires',
    'Vary',
)


def begin(
    req: falcon.Request, resp: falcon.Response, user_id: int, config: Config
) -> bool:
    """Start or replay a keyed POST; return True when the answer is replayed.

    Raises:
        ApiError: 400 for an unusable key, 413 for an oversized body, 422
            ``IDEMPOTENCY-1`` or 409 ``IDEMPOTENCY-2``.
    """
    key = req.get_header('Idempotency-Key') or ''
    if not 0 < len(key) <= 255:
        raise bad_request('400-BAD-REQUEST', 'Idempotency-Key must be 1-255 characters')
    body_hash = _fingerprint(req, config.max_body)
    target = req.relative_uri
    now = utcnow()
    expired = IdempotencyRecord.created_at < now - KEEP
    IdempotencyRecord.delete().where(expired).execute()
    try:
        record = IdempotencyRecord.create(
            user=user_id,
            key=key,
            target=target,
            body_hash=body_hash,
            created_at=now,
        )
    except peewee.IntegrityError:
        found = _find(user_id, key, target, body_hash)
        if found.state == 'done':
            return _replay(resp, found)
        # NOTE: a claim not renewed for a lease, as a worker's, is abandoned.
        _take_over(req, found, dt.timedelta(seconds=config.task_lease))
        return False
    req.context.idempotency = (record.id, now)
    return False


def _fingerprint(req: falcon.Request, limit: int) -> str:
    """Read the request body (kept for the resource); return its hash."""
    if req.content_length is not None and req.content_length > limit:
        raise ApiError.one(
            413,
            '413-PAYLOAD-TOO-LARGE',
            f'The request body is larger than {limit} bytes',
        )
    body = req.bounded_stream.read(limit + 1)
    req.context.raw_body = body
    return hashlib.sha256((req.content_type or '').encode() + b'\0' + body).hexdigest()


def _find(user_id: int, key: str, target: str, body_hash: str) -> IdempotencyRecord:
    record = IdempotencyRecord.get_or_none(
        (IdempotencyRecord.user == user_id)
        & (IdempotencyRecord.key == key)
        & (IdempotencyRecord.target == target)
    )
    if record is None:  # deleted meanwhile (its first answer was a 5xx)
        raise _in_flight()
    if record.body_hash != body_hash:
        raise ApiError.one(
            422,
            'IDEMPOTENCY-1',
            'This Idempotency-Key was used with a different request body',
        )
    return record


def _take_over(req, record: IdempotencyRecord, in_flight: dt.timedelta) -> None:
    """Run as new in place of an abandoned first request, or answer 409."""
    now = utcnow()
    # NOTE: the row count decides: of two repeats racing for one abandoned
    # record, the second's UPDATE no longer matches the refreshed created_at.
    taken = (
        IdempotencyRecord.update(created_at=now)
        .where(
            (IdempotencyRecord.id == record.id)
            & (IdempotencyRecord.state == 'processing')
            & (IdempotencyRecord.created_at < now - in_flight)
        )
        .execute()
    )
    if taken != 1:
        raise _in_flight()
    req.context.idempotency = (record.id, now)


def _in_flight() -> ApiError:
    return conflict(
        'IDEMPOTENCY-2',
        'A request with this Idempotency-Key is being processed; try again shortly',
    )


def _replay(resp, record: IdempotencyRecord) -> bool:
    resp.status = record.status
    for name, value in orjson.loads(record.headers).items():
        resp.set_header(name, value)
    resp.set_header('Idempotent-Replayed', 'true')
    resp.data = bytes(record.body) if record.body else None
    return True


def hold(req: falcon.Request, seconds: float) -> None:
    """Claim this request's key until ``seconds`` from now (a long poll).

    Without it, a keyed ``POST`` waiting longer than the lease for its task
    would look abandoned, and a repeat would start the work a second time.
    """
    owned = getattr(req.context, 'idempotency', None)
    if owned is None:
        return
    record_id, claimed_at = owned
    until = utcnow() + dt.timedelta(seconds=seconds)
    held = (
        IdempotencyRecord.update(created_at=until)
        .where(
            (IdempotencyRecord.id == record_id)
            & (IdempotencyRecord.created_at == claimed_at)
        )
        .execute()
    )
    if held:
        req.context.idempotency = (record_id, until)


def keep(req: falcon.Request, body: bytes) -> None:
    """Store ``body``, not the answer sent, for replays of this request.

    A resource whose answer shows a secret once calls this with the same
    answer without the secret. An error answered after all is kept as is.
    """
    req.context.idempotency_body = body


def finish(req: falcon.Request, resp: falcon.Response) -> None:
    """Store the answer of a keyed POST (or forget the key: 400, 5xx)."""
    owned = getattr(req.context, 'idempotency', None)
    if owned is None:
        return
    status = resp.status if isinstance(resp.status, int) else int(str(resp.status)[:3])
    # NOTE: created_at is this request's claim: a repeat that took the record
    # over (this request looked abandoned) refreshed it.
    record_id, claimed_at = owned
    query = (IdempotencyRecord.id == record_id) & (
        IdempotencyRecord.created_at == claimed_at
    )
    # APPSEC: a 400 is forgotten too: it changed nothing, so a repeat may be
    # checked again, and its message may quote the body (a rejected password).
    if status >= 500 or status == 400:
        IdempotencyRecord.delete().where(query).execute()
        return
    headers = {
        name: resp.get_header(name)
        for name in _REPLAYED_HEADERS
        if resp.get_header(name) is not None
    }
    body = resp.data
    if status < 400:
        body = getattr(req.context, 'idempotency_body', body)
    IdempotencyRecord.update(
        state='done',
        status=status,
        headers=orjson.dumps(headers).decode(),
        body=body,
    ).where(query).execute()
