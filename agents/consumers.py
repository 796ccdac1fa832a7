"""The monitoring socket: ``/api/v2/ws/monitoring``.

Server messages, each sent only to a socket subscribed to its topic:

- topic ``agents``: ``agent_status``, the body of GET agents/status, whenever it changes;
- topic ``jobs``: ``job_started`` and ``job_finished``, as each job announces them;
- topic ``queue``: ``queue``, stories ``queued`` and ``running``, whenever the counts change;
- topic ``process``: ``process``, this server process's ``rss_bytes`` and ``cpu_percent``.

A new socket is subscribed to every topic and first gets the current state of
each sampled topic. Client messages: ``{"type": "ping"}``, which gets a
``pong`` with the same ``data``, and ``{"type": "subscribe" | "unsubscribe",
"topics": [...]}``, which gets ``subscriptions``, the topics now subscribed.

Sampling runs as a task of its own, every ``SAMPLE_SECONDS`` and right after a
job announcement or a new subscription, with its database work in a worker
thread. So client messages and job announcements are handled while a sample
is being taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from rest_framework import serializers

from agents.monitoring import (
    MONITORING_GROUP,
    ProcessSampler,
    agent_status,
    queue_depth,
    status_fingerprint,
)
from storyengine.api.errors import flatten_details
from storyengine.groups import bind_loop
from storyengine.sockets import INVALID_REQUEST, JsonSocketConsumer, encode_message

logger = logging.getLogger(__name__)

AGENTS = "agents"
JOBS = "jobs"
QUEUE = "queue"
PROCESS = "process"
TOPICS = (AGENTS, JOBS, QUEUE, PROCESS)
# Sampled by the socket itself; ``jobs`` messages come from the jobs.
SAMPLED_TOPICS = (AGENTS, QUEUE, PROCESS)
MESSAGE_TYPES = {AGENTS: "agent_status", QUEUE: "queue", PROCESS: "process"}

SAMPLE_SECONDS = 2.0


class MonitoringRequestSerializer(serializers.Serializer):
    """A client message on the monitoring socket."""

    type = serializers.ChoiceField(choices=["ping", "subscribe", "unsubscribe"])
    topics = serializers.ListField(child=serializers.ChoiceField(choices=TOPICS), required=False, allow_empty=False)
    data = serializers.JSONField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["type"] in ("subscribe", "unsubscribe") and "topics" not in attrs:
            message = f"This field is required when type is {attrs['type']!r}; choose from {', '.join(TOPICS)}."
            raise serializers.ValidationError({"topics": [message]})
        return attrs


class MonitoringConsumer(JsonSocketConsumer):
    """Pushes agent status, job starts and finishes, queue depth and process figures."""

    groups = [MONITORING_GROUP]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topics: set[str] = set(TOPICS)
        # The fingerprint of what this socket last got per sampled topic; a
        # missing entry makes the next sample send that topic.
        self._last_sent: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._sampler: asyncio.Task[None] | None = None
        self._process = ProcessSampler()

    async def connect(self) -> None:
        # Job threads hand their announcements to this loop (embedded mode).
        bind_loop()
        await self.accept()
        self._sampler = asyncio.create_task(self._sample_periodically())
        logger.info("Monitoring socket opened for user %s", self.scope["user"].pk)

    async def disconnect(self, code: int) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        logger.info("Monitoring socket of user %s closed (code %s)", self.scope["user"].pk, code)

    # Channel-layer messages.

    async def monitoring_job(self, message: dict[str, Any]) -> None:
        """Forward a job announcement, then sample at once: the queue and agents have just changed."""
        if JOBS in self.topics:
            await self.send(text_data=encode_message(message["event"]))
        self._wake.set()

    # Client messages.

    async def receive_message(self, content: dict[str, Any]) -> None:
        request = MonitoringRequestSerializer(data=content)
        if not request.is_valid():
            await self.send_error(INVALID_REQUEST, flatten_details(request.errors))
            return

        message_type = request.validated_data["type"]
        if message_type == "ping":
            await self.send_message("pong", data=request.validated_data.get("data", {}))
            return

        topics = set(request.validated_data["topics"])
        if message_type == "subscribe":
            for topic in topics - self.topics:
                self._last_sent.pop(topic, None)
            self.topics |= topics
            self._wake.set()
        else:
            self.topics -= topics
        await self.send_message("subscriptions", data={"topics": sorted(self.topics)})

    # Sampling.

    async def _sample_periodically(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._send_changes()
            except Exception:
                # One failed sample (the database restarting, say) must not end the pushes.
                logger.exception("Monitoring sample failed for user %s", self.scope["user"].pk)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SAMPLE_SECONDS)

    async def _send_changes(self) -> None:
        topics = [topic for topic in SAMPLED_TOPICS if topic in self.topics]
        if not topics:
            return
        samples = await database_sync_to_async(self._take_samples, thread_sensitive=False)(topics)
        for topic, data in samples.items():
            if topic not in self.topics:
                continue
            fingerprint = status_fingerprint(data) if topic == AGENTS else json.dumps(data, sort_keys=True)
            if self._last_sent.get(topic) == fingerprint:
                continue
            self._last_sent[topic] = fingerprint
            await self.send_message(MESSAGE_TYPES[topic], data=data)

    def _take_samples(self, topics: list[str]) -> dict[str, Any]:
        samples: dict[str, Any] = {}
        if AGENTS in topics:
            samples[AGENTS] = agent_status()
        if QUEUE in topics:
            samples[QUEUE] = queue_depth()
        if PROCESS in topics:
            samples[PROCESS] = self._process.sample()
        return samples
