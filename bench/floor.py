"""The floor: the least a falcon + waitress + orjson server can do per request.

Two apps, served by the same stack and settings as ``abiq serve``:

- ``fixed`` answers every GET with one ~350-byte task document;
- ``sqlite`` looks the task up by primary key with the stdlib ``sqlite3``
  module (one connection per server thread) and answers the same document.

abiq's figures are read as ratios to these, measured in the same run::

    python -m bench.floor fixed 8092
    python -m bench.floor sqlite 8093 /path/to/abiq.db
"""

from __future__ import annotations

import sqlite3
import sys
import threading

import falcon
import orjson
import waitress

from abiq.affinity import pin_process
from abiq.logfilters import quiet_queue_warnings

TASK = {
    'links': [
        {
            'rel': 'self',
            'href': 'http://127.0.0.1:8092/api/tasks/00000000-0000-0000-0000-00000000c351',
            'type': 'application/vnd.abiq.task+json',
        }
    ],
    'id': '00000000-0000-0000-0000-00000000c351',
    'type': 'SLEEP',
    'description': 'benchmark task 50000',
    'status': 'finished',
    'progress': 100,
    'createdAt': '2026-01-01T13:53:20.000Z',
    'finishedAt': '2026-01-01T13:53:20.000Z',
}
CONTENT_TYPE = 'application/vnd.abiq.task+json; version=2'


class Fixed:
    """One fixed document for every request."""

    body = orjson.dumps(TASK)

    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        resp.content_type = CONTENT_TYPE
        resp.data = self.body


class PrimaryKey:
    """The same document, its fields read by primary key from SQLite."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self.local, 'connection', None)
        if connection is None:
            connection = sqlite3.connect(self.path, check_same_thread=False)
            self.local.connection = connection
        return connection

    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        row = (
            self._connection()
            .execute(
                'SELECT id, type, description, status, progress, created_at, '
                'finished_at FROM task WHERE id = ?',
                (task_id,),
            )
            .fetchone()
        )
        if row is None:
            raise falcon.HTTPNotFound()
        doc = dict(TASK, id=row[0], type=row[1], description=row[2], status=row[3])
        doc.update(progress=row[4], createdAt=row[5], finishedAt=row[6])
        resp.content_type = CONTENT_TYPE
        resp.data = orjson.dumps(doc)


def main(argv: list[str]) -> None:
    kind, port = argv[0], int(argv[1])
    resource = Fixed() if kind == 'fixed' else PrimaryKey(argv[2])
    app = falcon.App()
    app.add_route('/api/tasks/{task_id}', resource)
    # NOTE: the same waitress settings as `abiq serve` (abiq.serving), its
    # queue-depth warning kept to one per 10 s as there, on one CPU as
    # `abiq serve` keeps itself (abiq.affinity).
    quiet_queue_warnings()
    pin_process('auto')
    waitress.serve(app, host='127.0.0.1', port=port, threads=8, _quiet=True)


if __name__ == '__main__':
    main(sys.argv[1:])
