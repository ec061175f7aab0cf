"""A small keep-alive client for the scenarios that are not plain load:
finding URLs by following links, submitting tasks, and long polling."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench.prepare import TOKEN

__all__ = ['Client', 'Reply']

AUTH = ('Authorization', f'Bearer {TOKEN}')
SLEEP_JSON = 'application/vnd.abiq.sleep+json'


@dataclass
class Reply:
    """One answer."""

    status: int
    headers: dict[str, str]
    doc: Any

    def link(self, rel: str) -> str:
        """Return the href of the first link with this rel."""
        for link in self.doc['links']:
            if link['rel'] == rel:
                return link['href']
        raise KeyError(rel)


class Client:
    """One keep-alive connection to an abiq server, as the bench admin."""

    def __init__(self, root: str) -> None:
        self.root = root
        parts = urlsplit(root)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def request(self, method: str, url: str, body: Any = None, **headers: str) -> Reply:
        """Send one request; decode the JSON answer."""
        parts = urlsplit(url)
        path = parts.path + (f'?{parts.query}' if parts.query else '')
        sent = {
            AUTH[0]: AUTH[1],
            **{k.replace('_', '-'): v for k, v in headers.items()},
        }
        data = None
        if body is not None:
            data = orjson.dumps(body)
            sent.setdefault('Content-Type', SLEEP_JSON)
        self.conn.request(method, path, body=data, headers=sent)
        answer = self.conn.getresponse()
        raw = answer.read()
        doc = orjson.loads(raw) if raw else None
        return Reply(answer.status, dict(answer.getheaders()), doc)

    def get(self, url: str, **headers: str) -> Reply:
        return self.request('GET', url, **headers)

    def sleep_task(self, diagnostics: str, jobs: int = 1, seconds: float = 0) -> Reply:
        """Start a diagnostic SLEEP task (202)."""
        reply = self.request('POST', diagnostics, {'jobs': jobs, 'seconds': seconds})
        if reply.status != 202:
            raise RuntimeError(f'POST {diagnostics}: {reply.status} {reply.doc}')
        return reply

    def close(self) -> None:
        self.conn.close()
