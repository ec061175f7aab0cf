"""``/api/tasks`` and ``/api/tasks/<id>``: the URL shape of abiq's tasks."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from bench.drf_peer.views import Tasks

router = SimpleRouter(trailing_slash=False)
router.register('api/tasks', Tasks, basename='task')
urlpatterns = router.urls
