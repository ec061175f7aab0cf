"""A Python client of abiq that only follows links.

    from abiq.client import Client

    with Client('http://127.0.0.1:8080/api/', auth=('demo', 'demo')) as api:
        root = api.root()
        app = root.follow('virtualappliances').find(name='demo-app')
        vm = app.follow('virtualmachines').find(name='web')
        deployed = vm.act('deploy').wait(timeout=120, on_progress=print)
        print(deployed['state'])

Resources read like dicts and carry ``links``; ``follow(rel)`` GETs a link,
``act(rel)`` POSTs to an action link, collections iterate every item across
pages, and a task's ``wait()`` long-polls until it ends, then returns its
result. Errors are exceptions built from the server's error collections
(:mod:`abiq.client.errors`).
"""

from abiq.client.errors import AbiqError
from abiq.client.errors import ApiError
from abiq.client.errors import NoSuchLink
from abiq.client.errors import TaskCancelled
from abiq.client.errors import TaskFailed
from abiq.client.errors import WaitTimeout
from abiq.client.resources import Collection
from abiq.client.resources import Link
from abiq.client.resources import Resource
from abiq.client.session import Client
from abiq.client.tasks import Task

__all__ = [
    'AbiqError',
    'ApiError',
    'Client',
    'Collection',
    'Link',
    'NoSuchLink',
    'Resource',
    'Task',
    'TaskCancelled',
    'TaskFailed',
    'WaitTimeout',
]
