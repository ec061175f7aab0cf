"""``Idempotency-Key`` on POST: the same request twice starts work once.

The first request with a key stores a "processing" record before it runs,
and its answer when it ends. A repeat (same user, key, URL) within
:data:`KEEP` gets the stored answer; with another body, 422 ``IDEMPOTENCY-1``;
while the first is still running, 409 ``IDEMPOTENCY-2``. Answers with a 5xx
status are not kept, so the client can try again.
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

__all__ = ['KEEP', 'begin', 'finish']

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


def begin(req: falcon.Request, resp: falcon.Response, user_id: int, limit: int) -> bool:
    """Start or replay a keyed POST; return True when the answer is replayed.

    Raises:
        ApiError: 400 for an unusable key, 413 for an oversized body, 422
            ``IDEMPOTENCY-1`` or 409 ``IDEMPOTENCY-2``.
    """
    key = req.get_header('Idempotency-Key') or ''
    if not 0 < len(key) <= 255:
        raise bad_request('400-BAD-REQUEST', 'Idempotency-Key must be 1-255 characters')
    if req.content_length is not None and req.content_length > limit:
        raise ApiError.one(
            413,
            '413-PAYLOAD-TOO-LARGE',
            f'The request body is larger than {limit} bytes',
        )
    body = req.bounded_stream.read(limit + 1)
    req.context.raw_body = body
    digest = hashlib.sha256((req.content_type or '').encode() + b'\0' + body)
    target = req.relative_uri
    IdempotencyRecord.delete().where(
        IdempotencyRecord.created_at < utcnow() - KEEP
    ).execute()
    try:
        record = IdempotencyRecord.create(
            user=user_id, key=key, target=target, body_hash=digest.hexdigest()
        )
    except peewee.IntegrityError:
        return _replay(resp, user_id, key, target, digest.hexdigest())
    req.context.idempotency = record.id
    return False


def _replay(resp, user_id: int, key: str, target: str, body_hash: str) -> bool:
    record = IdempotencyRecord.get_or_none(
        (IdempotencyRecord.user == user_id)
        & (IdempotencyRecord.key == key)
        & (IdempotencyRecord.target == target)
    )
    if record is None:  # deleted meanwhile (its first answer was a 5xx)
        raise conflict(
            'IDEMPOTENCY-2',
            'A request with this Idempotency-Key is being processed; try again shortly',
        )
    if record.body_hash != body_hash:
        raise ApiError.one(
            422,
            'IDEMPOTENCY-1',
            'This Idempotency-Key was used with a different request body',
        )
    if record.state != 'done':
        raise conflict(
            'IDEMPOTENCY-2',
            'A request with this Idempotency-Key is being processed; try again shortly',
        )
    resp.status = record.status
    for name, value in orjson.loads(record.headers).items():
        resp.set_header(name, value)
    resp.set_header('Idempotent-Replayed', 'true')
    resp.data = bytes(record.body) if record.body else None
    return True


def finish(req: falcon.Request, resp: falcon.Response) -> None:
    """Store the answer of a keyed POST (or forget the key after a 5xx)."""
    record_id = getattr(req.context, 'idempotency', None)
    if record_id is None:
        return
    status = resp.status if isinstance(resp.status, int) else int(str(resp.status)[:3])
    query = IdempotencyRecord.id == record_id
    if status >= 500:
        IdempotencyRecord.delete().where(query).execute()
        return
    headers = {
        name: resp.get_header(name)
        for name in _REPLAYED_HEADERS
        if resp.get_header(name) is not None
    }
    IdempotencyRecord.update(
        state='done',
        status=status,
        headers=orjson.dumps(headers).decode(),
        body=resp.data,
    ).where(query).execute()
