"""The peewee models: tenants, users, tokens, tasks and their jobs.

Models hold data and queries; they know nothing of HTTP. The one module-level
object is ``database``, a proxy bound to the real database by :func:`bind`.
"""

from __future__ import annotations

import peewee

from abiq.timestamps import utcnow

__all__ = [
    'MODELS',
    'Enterprise',
    'IdempotencyRecord',
    'Task',
    'TaskJob',
    'Token',
    'User',
    'bind',
    'database',
    'locked',
    'write_transaction',
    'utcnow',
]

database = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    class Meta:
        database = database


class Enterprise(BaseModel):
    """A tenant: it owns users, tasks and (later) virtual appliances."""

    name = peewee.CharField(max_length=128, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)


class User(BaseModel):
    """Someone who signs in; ``role`` is admin, user or viewer."""

    enterprise = peewee.ForeignKeyField(Enterprise, backref='users')
    name = peewee.CharField(max_length=64, unique=True)
    role = peewee.CharField(max_length=16)
    email = peewee.CharField(max_length=254, default='')
    password_hash = peewee.CharField(max_length=256)
    created_at = peewee.DateTimeField(default=utcnow)


class Token(BaseModel):
    """An API token; only a hash of its secret is stored."""

    user = peewee.ForeignKeyField(User, backref='tokens', on_delete='CASCADE')
    name = peewee.CharField(max_length=128)
    secret_hash = peewee.CharField(max_length=64, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)
    last_used_at = peewee.DateTimeField(null=True)
    expires_at = peewee.DateTimeField(null=True)


class Task(BaseModel):
    """An asynchronous operation: server-run, or external (reported by an agent)."""

    id = peewee.CharField(max_length=36, primary_key=True)
    type = peewee.CharField(max_length=64)
    description = peewee.CharField(max_length=1024, default='')
    status = peewee.CharField(max_length=16, default='pending')
    progress = peewee.IntegerField(default=0)
    attempt = peewee.IntegerField(default=1)
    created_at = peewee.DateTimeField(default=utcnow)
    started_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    finished_at = peewee.DateTimeField(null=True)
    expires_at = peewee.DateTimeField(null=True, index=True)
    enterprise = peewee.ForeignKeyField(Enterprise, backref='tasks')
    user = peewee.ForeignKeyField(User, null=True, on_delete='SET NULL')
    target_kind = peewee.CharField(max_length=32, null=True)
    target_id = peewee.CharField(max_length=64, null=True)
    result_kind = peewee.CharField(max_length=32, null=True)
    result_id = peewee.CharField(max_length=64, null=True)
    external = peewee.BooleanField(default=False)
    log = peewee.TextField(default='')
    errors = peewee.TextField(default='[]')
    cancel_requested = peewee.BooleanField(default=False)
    revision = peewee.IntegerField(default=1)
    params = peewee.TextField(default='{}')
    # NOTE: the lease says which worker runs the task and until when; a
    # worker that dies stops renewing it, and another claims the task.
    lease_owner = peewee.CharField(max_length=128, null=True)
    lease_expires_at = peewee.DateTimeField(null=True)
    claims = peewee.IntegerField(default=0)

    class Meta:
        # NOTE: (status, created_at, id) finds the oldest pending task in one
        # seek. The two paging indexes carry expires_at so that skipping to a
        # deep page reads the index alone, never the rows it skips.
        indexes = (
            (('status', 'created_at', 'id'), False),
            (('enterprise', 'status'), False),
            (('enterprise', 'created_at', 'id', 'expires_at'), False),
            (('created_at', 'id', 'expires_at'), False),
            (('target_kind', 'target_id'), False),
        )


# NOTE: the claim's seek (abiq.db.taskstatements): server-run tasks by status
# and age, its every condition in the index. With (status, created_at, id)
# alone, PostgreSQL planned on statistics that lag a burst of new tasks (a few
# pending ones, it thought) and sorted every pending task on each claim: 1.5
# ms of its CPU per claim with 4,000 pending.
Task.add_index(
    peewee.ModelIndex(
        Task,
        (Task.status, Task.created_at, Task.id),
        where=~Task.external,
        name='task_claimable',
    )
)
# NOTE: the oldest pending task's seek, on an index of pending tasks alone:
# on statistics taken while most tasks were pending (a burst of submissions,
# before autovacuum analyses again), PostgreSQL took the age index instead,
# the cheaper it thought, and walked every finished task on each claim (1,500
# rows after 1,500 tasks: 0.3 ms of its CPU a claim, growing). Here no plan
# reads a finished row, and the index stays small: a row's later versions
# (running, finished) are not in it.
Task.add_index(
    peewee.ModelIndex(
        Task,
        (Task.created_at, Task.id),
        where=(Task.status == 'pending') & ~Task.external,
        name='task_pending',
    )
)


class TaskJob(BaseModel):
    """One ordered sub-step of a task."""

    task = peewee.ForeignKeyField(Task, backref='job_rows', on_delete='CASCADE')
    position = peewee.IntegerField()
    type = peewee.CharField(max_length=64)
    description = peewee.CharField(max_length=1024, default='')
    status = peewee.CharField(max_length=16, default='pending')
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)
    params = peewee.TextField(default='{}')
    runs = peewee.IntegerField(default=0)  # executions started, for auditing

    class Meta:
        indexes = ((('task', 'position'), True),)


class IdempotencyRecord(BaseModel):
    """The first answer to a POST sent with an ``Idempotency-Key``."""

    user = peewee.ForeignKeyField(User, on_delete='CASCADE')
    key = peewee.CharField(max_length=255)
    target = peewee.CharField(max_length=1024)
    body_hash = peewee.CharField(max_length=64)
    state = peewee.CharField(max_length=16, default='processing')
    status = peewee.IntegerField(null=True)
    headers = peewee.TextField(default='{}')
    body = peewee.BlobField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((('user', 'key', 'target'), True),)


MODELS = (Enterprise, User, Token, Task, TaskJob, IdempotencyRecord)


def bind(db: peewee.Database) -> None:
    """Point every model at a database."""
    database.initialize(db)


def write_transaction():  # type: ignore[no-untyped-def]
    """Return a transaction that takes the write lock up front.

    NOTE: on SQLite a deferred transaction that reads and then writes can fail
    with "database is locked" when another writer got there first; IMMEDIATE
    waits for the lock instead (busy_timeout). PostgreSQL locks rows with
    :func:`locked` instead.
    """
    if isinstance(database.obj, peewee.SqliteDatabase):
        return database.atomic(lock_type='IMMEDIATE')
    return database.atomic()


def locked(query: peewee.ModelSelect) -> peewee.ModelSelect:
    """Return a query that locks the rows it reads until the transaction ends."""
    if isinstance(database.obj, peewee.SqliteDatabase):
        return query
    return query.for_update()
