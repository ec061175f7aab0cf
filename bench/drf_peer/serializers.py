"""The task as DRF writes it: a hyperlinked model serializer, jobs nested."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from rest_framework import serializers

from bench.drf_peer.models import Task
from bench.drf_peer.models import TaskJob

__all__ = ['TaskSerializer']

TERMINAL = frozenset({'finished', 'failed', 'cancelled'})
# NOTE: abiq's default task retention (abiq.config), for a task created ended.
RETENTION = dt.timedelta(days=1)
WRITABLE = ['type', 'description', 'status', 'progress']
READ_ONLY = [
    'id',
    'attempt',
    'created_at',
    'updated_at',
    'started_at',
    'finished_at',
    'expires_at',
]


class JobSerializer(serializers.ModelSerializer):
    """One of a task's ordered sub-steps."""

    class Meta:
        model = TaskJob
        fields = [
            'position',
            'type',
            'description',
            'status',
            'started_at',
            'finished_at',
        ]
        read_only_fields = ['position', 'started_at', 'finished_at']
        extra_kwargs = {'type': {'required': False}}


class TaskSerializer(serializers.HyperlinkedModelSerializer):
    """A task with its ``url``; POST creates an external task (and its jobs)."""

    jobs = JobSerializer(many=True, required=False)

    class Meta:
        model = Task
        fields = ['url', *WRITABLE, *READ_ONLY, 'jobs']
        read_only_fields = READ_ONLY

    def create(self, validated_data: dict[str, Any]) -> Task:
        """Insert the task and its jobs in one transaction, as abiq does."""
        jobs = validated_data.pop('jobs', [])
        now = dt.datetime.now(dt.UTC)
        status = validated_data.get('status', 'pending')
        ended = status in TERMINAL
        task = Task(
            id=str(uuid.uuid4()),
            external=True,
            created_at=now,
            updated_at=now,
            started_at=now if status != 'pending' else None,
            finished_at=now if ended else None,
            expires_at=now + RETENTION if ended else None,
            **validated_data,
        )
        with transaction.atomic():
            task.save(force_insert=True)
            TaskJob.objects.bulk_create(
                TaskJob(task=task, position=n, **{'type': 'STEP', **job})
                for n, job in enumerate(jobs, start=1)
            )
        return task
