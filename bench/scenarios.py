"""What abiq and its DRF peer are both asked: scenario names and bodies.

The names are the keys of ``results['http']`` (abiq) and ``results['peer']``
(DRF), so the report pairs them by name.
"""

from __future__ import annotations

__all__ = [
    'EXTERNAL_TASK',
    'FLOOR',
    'PEER_SCENARIOS',
    'POST_ACTION',
    'POST_EXTERNAL',
    'RUNNING_TASK',
    'XML_PAGE',
]

FLOOR = 'floor: fixed'
XML_PAGE = 'GET first page xml 100k'
GET_TASK = 'GET task json'
GET_RUNNING = 'GET running task json'
POST_ACTION = 'POST action'
POST_EXTERNAL = 'POST external task'
#: the scenarios the peer answers too, under the names abiq's figures have
PEER_SCENARIOS = (
    GET_TASK,
    GET_RUNNING,
    'GET first page 100k',
    'GET last page 100k',
    'GET first page 1M',
    'GET last page 1M',
    POST_EXTERNAL,
)

#: the running task both read from the database: two jobs, one finished
RUNNING_TASK = {
    'type': 'BENCH',
    'description': 'a running task, read from the database',
    'status': 'running',
    'progress': 50,
    'jobs': [{'type': 'STEP', 'status': 'finished'}, {'type': 'STEP'}],
}
#: what an agent reports when it starts its work (docs/tasks.rst), each
#: POST a new task
EXTERNAL_TASK = {
    'type': 'BACKUP',
    'description': 'Nightly backup of db',
    'status': 'running',
    'progress': 10,
}
