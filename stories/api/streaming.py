"""Server-sent event streams of story progress: start a generation and watch it, or watch a story.

The views are DRF views, so authentication (JWT bearer or the session), the
generation rate limit, validation and the error envelope work as on every other
endpoint. Only their response differs: a ``StreamingHttpResponse`` over an async
iterator, which Django under ASGI consumes on the server's event loop, so an open
stream ties up no thread. Each event goes out as ``id: <seq>`` and ``data: <json>``
lines. A comment line keeps an idle connection open through proxies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stories import services
from stories.api.serializers import GenerateStorySerializer, QueryIntegerField, QuerySerializer
from stories.api.throttles import GenerationRateThrottle
from stories.api.views import INVALID, NOT_FOUND, _params, story_errors
from stories.events import Event, subscribe

logger = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
# Seconds without an event after which a comment line goes out.
DEFAULT_HEARTBEAT_SECONDS = 15.0
HEARTBEAT = b": heartbeat\n\n"

EVENT_STREAM_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.STR,
    description=(
        "`text/event-stream`: one event per `id: <seq>` and `data: <json>` pair, the JSON being "
        '`{"seq", "type", "story_id", "data", "timestamp"}` with `type` one of `stage_started`, '
        "`text_delta` (`data.text`), `stage_finished`, `checkpoint`, `completed` (`data` is the "
        "StoryResponse), `failed` (`data.error`) and `cancelled` (`data.reason`). The stream ends "
        "after `completed`, `failed` or `cancelled`; lines starting with `:` are heartbeats."
    ),
)


def encode_event(event: Event) -> bytes:
    """Encode one event as an SSE message; Telugu stays as UTF-8 characters."""
    payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event['seq']}\ndata: {payload}\n\n".encode()


async def sse_body(events: AsyncIterator[Event], heartbeat_seconds: float) -> AsyncIterator[bytes]:
    """Yield ``events`` as SSE messages, and a heartbeat comment after each quiet ``heartbeat_seconds``.

    The events are pulled by a task of their own, so waiting with a timeout
    never cancels the subscription. When the client goes away, Django cancels
    this generator, and the ``finally`` block cancels that task, which leaves
    the story's group. The job itself runs on.
    """
    queue: asyncio.Queue[Event | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for event in events:
                queue.put_nowait(event)
        finally:
            queue.put_nowait(None)

    task = asyncio.create_task(pump())
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), heartbeat_seconds)
            except TimeoutError:
                yield HEARTBEAT
                continue
            if event is None:
                break
            yield encode_event(event)
        # Re-raises what ended the subscription early, if anything did.
        await task
    finally:
        if not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass


def event_stream_response(story_id: uuid.UUID, after: int = 0, replay: bool = False) -> StreamingHttpResponse:
    """Return the SSE response for one story's events (see :func:`stories.events.subscribe`)."""
    heartbeat = float(getattr(settings, "STORYENGINE_SSE_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))
    response = StreamingHttpResponse(
        sse_body(subscribe(story_id, after, replay=replay), heartbeat),
        content_type=f"{EVENT_STREAM}; charset=utf-8",
    )
    # no-cache so no cache delays a stream; X-Accel-Buffering for nginx, which buffers by default.
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """Render every DRF response (errors, 204) as JSON, whatever the ``Accept`` header requests.

    A stream client sends ``Accept: text/event-stream``, which no DRF renderer
    serves; without this, its validation errors would turn into 406.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return JSONRenderer(), JSONRenderer.media_type


class EventsQuerySerializer(QuerySerializer):
    after = QueryIntegerField(
        min_value=0,
        default=0,
        help_text=(
            "Send the events numbered above this; 0 (the default) starts with the text so far as one "
            "`text_delta`. When absent, the `Last-Event-ID` header is read instead."
        ),
    )


class GenerateStoryStreamView(APIView):
    """Start a generation and stream its progress events until it finishes.

    The story is saved whether or not the client stays: closing the stream
    stops only the stream, never the job.
    """

    throttle_classes = [GenerationRateThrottle]
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(
        request=GenerateStorySerializer,
        responses={
            (200, EVENT_STREAM): EVENT_STREAM_RESPONSE,
            400: INVALID,
            503: OpenApiResponse(description="The story model is unavailable."),
        },
        summary="Generate a story and stream its progress as server-sent events",
        description=(
            "Takes the same body as `POST /stories/generate`. The stream carries every event of the "
            "new story from number 1, ending with `completed` or `failed`. A request that fails "
            "validation gets the JSON error envelope instead."
        ),
    )
    def post(self, request: Request) -> StreamingHttpResponse:
        serializer = GenerateStorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        story = services.start_generation(request.user, _params(serializer.validated_data))
        logger.info("Story %s: streaming its events to user %s", story.pk, request.user.pk)
        return event_stream_response(story.pk, replay=True)


class StoryEventsView(APIView):
    """Stream a story's events to its owner: for late or reconnecting readers and the pages."""

    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(
        parameters=[
            EventsQuerySerializer,
            OpenApiParameter(
                "Last-Event-ID",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                description="The `id` of the last event received; read when `after` is absent.",
            ),
        ],
        responses={
            (200, EVENT_STREAM): EVENT_STREAM_RESPONSE,
            204: OpenApiResponse(
                description="The story is finished and has no event after `after`; an EventSource stops reconnecting."
            ),
            400: INVALID,
            404: NOT_FOUND,
        },
        summary="Stream a story's progress events",
        description=(
            "With `after` = 0 the stream starts with the text saved so far as one `text_delta` numbered "
            "with the last event's number (for a finished story, followed by its final event); with "
            "`after` > 0 it replays the stored events after that number. Then live events follow until "
            "`completed`, `failed` or `cancelled`. While a refinement runs, the text so far is the new "
            "version's; its deltas start from empty after the refiner's `stage_started`."
        ),
    )
    def get(self, request: Request, story_id: uuid.UUID) -> StreamingHttpResponse | Response:
        query = request.query_params.dict()
        if "after" not in query and "HTTP_LAST_EVENT_ID" in request.META:
            query["after"] = request.META["HTTP_LAST_EVENT_ID"].strip()
        params = EventsQuerySerializer(data=query)
        params.is_valid(raise_exception=True)
        after = params.validated_data["after"]

        with story_errors():
            if not services.story_has_events(request.user, story_id, after):
                return Response(status=status.HTTP_204_NO_CONTENT)
        return event_stream_response(story_id, after=after)
