"""A compiled page of tasks finds what peewee's own query finds.

:mod:`abiq.db.listing` keeps one statement per shape of the tasks query and
binds each request's values. These tests run every shape the API builds
both ways, compiled and built afresh by peewee, over the same rows, on
SQLite and PostgreSQL: tenancy, expiry, statuses, types, targets and a
search (``%`` and ``_`` taken literally) must come out the same, in the
same order, and two requests of one shape must not see each other's values.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from abiq.db.listing import Listing
from abiq.db.models import Enterprise
from abiq.db.models import Task
from abiq.db.models import User
from abiq.db.models import database
from abiq.resources.tasks import TASKS
from abiq.tasks.records import task_listing
from abiq.tasks.records import tasks_by_id

NOW = dt.datetime(2026, 3, 4, 5, 6, 7)
STATUSES = ('pending', 'running', 'finished', 'failed', 'cancelled')
TYPES = ('SLEEP', 'DEPLOY', '100%_done')


@pytest.fixture
def rows(database_url) -> dict[str, int]:
    """Two enterprises' tasks of every status and type, some expired, some
    targeting an appliance; return the enterprise ids."""
    with database.atomic():
        ids = {}
        for name in ('acme', 'other'):
            enterprise = Enterprise.create(name=name)
            user = User.create(
                enterprise=enterprise, name=f'u-{name}', role='user', password_hash='-'
            )
            ids[name] = enterprise.id
            combos = itertools.product(STATUSES, TYPES, (False, True), (None, '7'))
            for n, (status, kind, expired, target) in enumerate(combos):
                Task.create(
                    id=f'{name}-{n:03}',
                    type=kind,
                    description=f'{name} task {n} {"50%" if n % 3 else "a_b"}',
                    status=status,
                    enterprise=enterprise,
                    user=user,
                    # NOTE: ties on created_at, broken by the id
                    created_at=NOW - dt.timedelta(minutes=n // 4),
                    updated_at=NOW,
                    expires_at=NOW - dt.timedelta(seconds=1) if expired else None,
                    target_kind='virtualappliance' if target else None,
                    target_id=target,
                )
    return ids


def _both(listing: Listing) -> tuple[Listing, Listing]:
    values = dict(listing.values)
    fresh = Listing(None, lambda: listing.build(**values))
    return listing, fresh


def _shapes(ids: dict[str, int]):
    for enterprise, statuses, task_type, target in itertools.product(
        (None, ids['acme'], ids['other']),
        ([], ['running'], ['finished', 'failed']),
        (None, 'SLEEP', '100%_done'),
        (None, ('virtualappliance', '7')),
    ):
        yield task_listing(enterprise, statuses, task_type, target, NOW)


def _ids(rows) -> list[str]:
    return [row.id for row in rows]


def test_every_shape_counts_and_pages_as_peewee_does(rows):
    order = (TASKS.sort_fields['createdAt'], TASKS.tie_breaker)
    for listing in _shapes(rows):
        compiled, fresh = _both(listing)
        assert compiled.count() == fresh.count() == fresh.select().count()
        for ascending, skip in itertools.product((True, False), (0, 3)):
            expected = _ids(fresh.window(order, ascending, skip, 5))
            assert _ids(compiled.window(order, ascending, skip, 5)) == expected


def test_a_search_takes_percent_and_underscore_literally(rows):
    listing = task_listing(rows['acme'], [], None, None, NOW)
    fields = TASKS.text_fields
    for needle in ('50%', 'A_B', '100%_', '%', '_'):
        compiled, fresh = _both(listing)
        found = compiled.searching(fields, needle)
        assert found.count() == fresh.searching(fields, needle).count()
        # NOTE: a page's rows carry ids; the rows themselves are read by id
        every = tasks_by_id(_ids(found.window((Task.id, Task.id), True, 0, 1000)))
        assert every and all(
            needle.lower() in f'{row.type} {row.description}'.lower()
            for row in every.values()
        )
    assert listing.searching(fields, 'a%b').count() == 0


def test_one_shape_serves_each_tenant_and_moment_its_own_rows(rows):
    order = (Task.id, Task.id)
    acme = task_listing(rows['acme'], [], None, None, NOW)
    other = task_listing(rows['other'], [], None, None, NOW)
    assert acme.shape == other.shape
    acme_ids = _ids(acme.window(order, True, 0, 1000))
    other_ids = _ids(other.window(order, True, 0, 1000))
    assert acme_ids and all(task_id.startswith('acme-') for task_id in acme_ids)
    assert other_ids and all(task_id.startswith('other-') for task_id in other_ids)
    earlier = task_listing(rows['acme'], [], None, None, NOW - dt.timedelta(hours=1))
    # NOTE: an hour earlier, the tasks expired since were not yet expired
    assert earlier.count() == 2 * acme.count()
