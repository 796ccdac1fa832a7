"""WebSocket routes of the API, under ``/api/v2/`` and the deprecated ``/api/v1/`` alias."""

from __future__ import annotations

from django.urls import re_path

from agents.consumers import MonitoringConsumer
from stories.consumers import GenerationConsumer

# NOTE: v1 handshakes lack the Deprecation and Sunset headers that v1 HTTP
# responses get from ApiDeprecationMiddleware.
websocket_urlpatterns = [
    re_path(r"^api/v[12]/ws/stories/generate$", GenerationConsumer.as_asgi()),
    re_path(r"^api/v[12]/ws/monitoring$", MonitoringConsumer.as_asgi()),
]
