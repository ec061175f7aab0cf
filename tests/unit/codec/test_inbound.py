"""The steps a media type's bodies take before validation: task statuses."""

from __future__ import annotations

import pytest
from lxml import etree

from abiq.codec.inbound import INBOUND
from abiq.statuses import JOB_STATUSES


def test_only_the_task_has_a_step_of_its_own():
    assert set(INBOUND) == {'task'}


@pytest.mark.parametrize(
    ('sent', 'read'),
    [
        ('done', 'finished'),
        ('In Progress', 'running'),
        ('in_progress', 'running'),
        ('Canceled', 'cancelled'),
        ('QUEUED', 'pending'),
        ('skipped', 'skipped'),
        ('nonsense', 'nonsense'),
        ('', ''),
    ],
)
def test_a_status_alias_becomes_its_canonical_name(sent, read):
    doc = {'status': sent, 'jobs': [{'status': sent}, {'id': 'x'}, 'odd']}
    INBOUND['task'].doc(doc)
    assert doc == {'status': read, 'jobs': [{'status': read}, {'id': 'x'}, 'odd']}
    root = etree.fromstring(
        f'<task><status>{sent}</status><jobs><job><status>{sent}</status></job>'
        '</jobs></task>'
    )
    INBOUND['task'].tree(root)
    assert [element.text or '' for element in root.iter('status')] == [read, read]


def test_other_values_are_left_for_the_schema_to_judge():
    doc = {'status': 5, 'jobs': None}
    INBOUND['task'].doc(doc)
    assert doc == {'status': 5, 'jobs': None}


def test_canonical_names_are_kept():
    doc = {'status': 'running', 'jobs': [{'status': name} for name in JOB_STATUSES]}
    INBOUND['task'].doc(doc)
    assert [job['status'] for job in doc['jobs']] == list(JOB_STATUSES)
