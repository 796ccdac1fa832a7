"""The site's URLconf plus views that exercise the response middleware.

The event stream is a small model of the story event endpoints. It sends one event,
then waits for the test to open ``STREAM_GATE`` before it sends the second, so
a test can tell event-by-event delivery from a response buffered to the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from storyengine.urls import handler400, handler403, handler404, handler500, urlpatterns as site_patterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

EVENTS = [
    'id: 1\ndata: {"seq": 1, "type": "text_delta", "data": {"text": "ఒక ఊరిలో"}}\n\n',
    'id: 2\ndata: {"seq": 2, "type": "text_delta", "data": {"text": " ఒక రైతు"}}\n\n',
]


class StreamGate:
    """An asyncio event the test opens to let the stream send its second event."""

    event: asyncio.Event | None = None


STREAM_GATE = StreamGate()


async def _gated_events() -> AsyncIterator[str]:
    yield EVENTS[0]
    if STREAM_GATE.event is not None:
        await asyncio.wait_for(STREAM_GATE.event.wait(), timeout=10)
    yield EVENTS[1]


def event_stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(_gated_events(), content_type="text/event-stream")


def json_of_size(request: HttpRequest, size: int) -> JsonResponse:
    """Return a JSON object whose encoded body is exactly ``size`` bytes (size >= 15)."""
    # '{"padding": ""}' is 15 bytes; the padding fills the rest with ASCII letters.
    response = JsonResponse({"padding": "a" * (size - 15)})
    assert len(response.content) == size, len(response.content)
    return response


class PingSerializer(serializers.Serializer):
    status = serializers.CharField()


class ConflictingView(APIView):
    """A view that declares a 409 of its own, bodiless, for the schema tests."""

    @extend_schema(
        request=None,
        responses={200: PingSerializer, 409: OpenApiResponse(description="Already finished.")},
    )
    def post(self, request: Request) -> Response:
        return Response({"status": "ok"})


urlpatterns = [
    path("api/v2/test/conflict", ConflictingView.as_view()),
    path("api/v2/test/events", event_stream),
    path("api/v2/test/json/<int:size>", json_of_size),
    *site_patterns,
]
