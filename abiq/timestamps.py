"""Timestamps as the API writes them: RFC 3339 UTC and HTTP dates."""

from __future__ import annotations

import datetime as dt
import email.utils

__all__ = ['http_date', 'parse_rfc3339', 'rfc3339', 'utcnow']


def utcnow() -> dt.datetime:
    """Return the current time in UTC, naive (as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def rfc3339(value: dt.datetime | None) -> str | None:
    """Return a stored (naive UTC) time as ``2026-01-02T03:04:05.678Z``."""
    if value is None:
        return None
    # NOTE: isoformat is C and several times faster than strftime; it too
    # truncates to milliseconds.
    return value.isoformat(timespec='milliseconds') + 'Z'


def http_date(value: dt.datetime) -> str:
    """Return a stored (naive UTC) time as an HTTP date."""
    return email.utils.format_datetime(value.replace(tzinfo=dt.UTC), usegmt=True)


def parse_rfc3339(text: str) -> dt.datetime:
    """Return the naive UTC time of an RFC 3339 timestamp.

    Raises:
        ValueError: the text is not a timestamp with a time zone.
    """
    value = dt.datetime.fromisoformat(text.replace('Z', '+00:00'))
    if value.tzinfo is None:
        raise ValueError(f'{text!r} has no time zone')
    return value.astimezone(dt.UTC).replace(tzinfo=None)
