"""WebSocket generation: ``/api/v2/ws/stories/generate``.

Each client message is a generation request with the fields and validation of
POST stories/generate. A valid one creates a story through the stories service,
sends ``generation_accepted`` with its id, then one ``generation_progress``
message per progress event until ``completed``, ``failed`` or ``cancelled``.
Several requests may stream at once on one socket; each event names its story.

The job does not belong to the socket: a client that goes away stops only its
streams, and the story is written and saved all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from types import SimpleNamespace
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from rest_framework.exceptions import Throttled

from stories import services
from stories.api.serializers import GenerateStorySerializer
from stories.api.throttles import GenerationRateThrottle
from stories.api.views import _params as generation_params
from stories.events import subscribe
from storyengine.api.errors import ServiceUnavailable, flatten_details
from storyengine.sockets import INVALID_REQUEST, JsonSocketConsumer

logger = logging.getLogger(__name__)


def throttle_wait(user) -> int | None:
    """Count one generation request against the user's shared limit.

    Returns None when the request may go on, or the whole seconds to wait when
    the user is over the limit. Uses the REST endpoints' throttle class, so the
    cache key and so the bucket are the same for every transport.
    """
    throttle = GenerationRateThrottle()
    if throttle.allow_request(SimpleNamespace(user=user), None):
        return None
    return Throttled(throttle.wait()).wait or 1


class GenerationConsumer(JsonSocketConsumer):
    """Starts generations requested over the socket and streams their progress events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.streams: set[asyncio.Task[None]] = set()

    async def connect(self) -> None:
        await self.accept()
        logger.info("Generation socket opened for user %s", self.scope["user"].pk)

    async def disconnect(self, code: int) -> None:
        streams = list(self.streams)
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        logger.info(
            "Generation socket of user %s closed (code %s); %d open streams stopped, their stories go on",
            self.scope["user"].pk,
            code,
            len(streams),
        )

    async def receive_message(self, content: dict[str, Any]) -> None:
        user = self.scope["user"]

        # Checked before validation, as DRF does for the REST endpoint, so an
        # invalid request counts toward the limit on every transport alike.
        wait = await sync_to_async(throttle_wait, thread_sensitive=False)(user)
        if wait is not None:
            logger.info("Generation request of user %s over the rate limit; retry in %d s", user.pk, wait)
            await self.send_error(str(Throttled(wait).detail), retry_after=wait)
            return

        serializer = GenerateStorySerializer(data=content)
        if not serializer.is_valid():
            await self.send_error(INVALID_REQUEST, flatten_details(serializer.errors))
            return

        params = generation_params(serializer.validated_data)
        try:
            story = await database_sync_to_async(services.start_generation)(user, params)
        except ServiceUnavailable as exc:
            # start_generation has logged the reason.
            await self.send_error(str(exc.detail), retry_after=exc.retry_after)
            return

        await self.send_message("generation_accepted", data={"story_id": str(story.pk), "status": story.status})
        task = asyncio.create_task(self._stream(story.pk))
        self.streams.add(task)
        task.add_done_callback(self.streams.discard)

    async def _stream(self, story_id: uuid.UUID) -> None:
        # ``replay`` starts from the first stored event instead of a snapshot of
        # the text, so the client that started the job gets every event.
        # aclosing() leaves the story's group before the task ends, also when
        # the task is cancelled because the client went away.
        sent = 0
        try:
            async with contextlib.aclosing(subscribe(story_id, replay=True)) as events:
                async for event in events:
                    await self.send_message("generation_progress", data=event)
                    sent += 1
        except asyncio.CancelledError:
            logger.info("Story %s: socket stream stopped after %d events; the job goes on", story_id, sent)
            raise
        except Exception:
            logger.exception("Story %s: socket stream failed after %d events", story_id, sent)
            await self.send_error(
                f"Streaming the progress failed; read it from /api/v2/stories/{story_id}/events.",
                story_id=str(story_id),
            )
            return
        logger.info("Story %s: socket stream finished after %d events", story_id, sent)
