"""The tasks collection and a task: one DRF viewset."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.db.models import QuerySet
from rest_framework import mixins
from rest_framework import viewsets
from rest_framework.serializers import BaseSerializer

from bench.drf_peer.models import AbiqUser
from bench.drf_peer.models import Task
from bench.drf_peer.serializers import TaskSerializer

__all__ = ['Tasks']


class Tasks(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """GET a page of tasks or one task; POST an external task (201)."""

    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[Task]:
        # NOTE: the tasks abiq shows an administrator: every unexpired one,
        # oldest first; the jobs come in one more query per page.
        now = dt.datetime.now(dt.UTC)
        unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        return Task.objects.filter(unexpired).prefetch_related('jobs')

    def perform_create(self, serializer: BaseSerializer) -> None:
        # NOTE: the task belongs to the caller's abiq user and enterprise.
        owner = AbiqUser.objects.only('enterprise_id').get(
            name=self.request.user.username
        )
        serializer.save(enterprise_id=owner.enterprise_id, user_id=owner.id)
