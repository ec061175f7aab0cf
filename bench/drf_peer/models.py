"""abiq's tables as Django sees them: unmanaged, so Django never alters them.

Every NOT NULL column without a database default gets the default abiq's
models give it, so a task the peer writes is a row abiq could read.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.core.validators import MinValueValidator
from django.core.validators import RegexValidator
from django.db import models

__all__ = ['AbiqUser', 'Task', 'TaskJob']

STATUSES = [
    (name, name) for name in ('pending', 'running', 'finished', 'failed', 'cancelled')
]
JOB_STATUSES = [*STATUSES, ('skipped', 'skipped')]
TYPE = RegexValidator(r'^[A-Za-z0-9_.:-]{1,64}$')


class AbiqUser(models.Model):
    """abiq's user: which enterprise a task the peer creates belongs to."""

    name = models.CharField(max_length=64)
    enterprise_id = models.IntegerField()

    class Meta:
        managed = False
        db_table = 'user'


class Task(models.Model):
    """One row of abiq's ``task`` table."""

    id = models.CharField(max_length=36, primary_key=True)
    type = models.CharField(max_length=64, validators=[TYPE])
    description = models.CharField(max_length=1024, blank=True, default='')
    status = models.CharField(max_length=16, choices=STATUSES, default='pending')
    progress = models.IntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    attempt = models.IntegerField(default=1)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    expires_at = models.DateTimeField(null=True)
    enterprise_id = models.IntegerField()
    user_id = models.IntegerField(null=True)
    external = models.BooleanField(default=False)
    log = models.TextField(default='')
    errors = models.TextField(default='[]')
    cancel_requested = models.BooleanField(default=False)
    revision = models.IntegerField(default=1)
    params = models.TextField(default='{}')
    claims = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = 'task'
        ordering = ['created_at', 'id']


class TaskJob(models.Model):
    """One row of abiq's ``taskjob`` table: a task's ordered sub-step."""

    task = models.ForeignKey(
        Task, models.DO_NOTHING, related_name='jobs', db_column='task_id'
    )
    position = models.IntegerField()
    type = models.CharField(max_length=64, validators=[TYPE])
    description = models.CharField(max_length=1024, blank=True, default='')
    status = models.CharField(max_length=16, choices=JOB_STATUSES, default='pending')
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    params = models.TextField(default='{}')
    runs = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = 'taskjob'
        ordering = ['position']
