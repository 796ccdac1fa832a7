"""Progress events of story jobs: numbered rows first, then a message to the story's group.

Every event is ``{"seq", "type", "story_id", "data", "timestamp"}``. ``seq``
counts from 1 per story without gaps, over all of its jobs (the generation and
each refinement). A ``StoryEvent`` row is written before the event is sent, so a
reader that missed a message, or connects late, reads the event from the table.
``Story.event_seq`` stores the number of the last event and changes in the same
transaction as the row.

Sending takes one of two ways. With channels-redis the job's thread or Celery
worker calls ``async_to_sync(group_send)``. With the in-memory layer (embedded
mode) the send is handed to the event loop of the server, which :func:`bind_loop`
records, because the in-memory layer's queues belong to that loop. A send from a
loop of its own would wake the readers seconds late.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TypedDict

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from stories.models import FINISHED_STATUSES, Story, StoryEvent, StoryStatus

logger = logging.getLogger(__name__)

STAGE_STARTED = "stage_started"
TEXT_DELTA = "text_delta"
STAGE_FINISHED = "stage_finished"
CHECKPOINT = "checkpoint"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
TERMINAL_TYPES = frozenset({COMPLETED, FAILED, CANCELLED})
EVENT_TYPES = frozenset({STAGE_STARTED, TEXT_DELTA, STAGE_FINISHED, CHECKPOINT}) | TERMINAL_TYPES

# The role whose ``stage_started`` begins the text of a new version: the text deltas
# of a refinement build the new version from empty.
REFINER_ROLE = "refiner"
# The channel-layer message type; a consumer that joins a group itself handles it as ``story_event``.
MESSAGE_TYPE = "story.event"
# A subscriber that receives nothing for this many seconds reads the table itself.
# That catches events whose message was lost (a full in-memory queue drops them)
# and notices a story that was deleted or finished without a final event.
POLL_SECONDS = 5.0


class Event(TypedDict):
    seq: int
    type: str
    story_id: str
    data: dict[str, Any]
    timestamp: str


def group_name(story_id: Any) -> str:
    """Return the channel-layer group of one story's events."""
    return f"story.{story_id}"


_bound_loop: asyncio.AbstractEventLoop | None = None


def bind_loop() -> None:
    """Record the running event loop as the one that embedded-mode sends go to.

    Every subscriber calls it, so the loop of the latest subscriber wins. Under
    daphne or uvicorn that is the one loop of the server process.
    """
    global _bound_loop
    _bound_loop = asyncio.get_running_loop()


def publish(story_id: Any, event_type: str, data: dict[str, Any]) -> Event | None:
    """Store the story's next event and send it to the story's group once the transaction commits.

    Call it from sync code: a job thread, a Celery worker or a request. Inside a
    surrounding transaction the event is numbered under that transaction's row
    lock and sent only if it commits, so a rolled-back change publishes nothing.
    Returns the event, or None when the story no longer exists or is finished
    and the event is not a final one. So a step that runs on after a
    cancellation adds nothing behind the ``cancelled`` event.
    """
    assert event_type in EVENT_TYPES, f"unknown event type {event_type!r}; use one of {sorted(EVENT_TYPES)}"
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))

    with transaction.atomic():
        row = Story.objects.select_for_update().filter(pk=story_id).values_list("status", "event_seq").first()
        if row is None:
            return None
        status, last_seq = row
        if status in FINISHED_STATUSES and event_type not in TERMINAL_TYPES:
            logger.debug("Story %s is %s; %s event dropped", story_id, status, event_type)
            return None

        stored = StoryEvent.objects.create(story_id=story_id, seq=last_seq + 1, type=event_type, data=data)
        Story.objects.filter(pk=story_id).update(event_seq=stored.seq)
        event = _event_of(stored)
        transaction.on_commit(lambda: _send(event), robust=True)
    return event


def _event_of(stored: StoryEvent) -> Event:
    return {
        "seq": stored.seq,
        "type": stored.type,
        "story_id": str(stored.story_id),
        "data": stored.data,
        "timestamp": timezone.localtime(stored.created_at).isoformat(),
    }


def _send(event: Event) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    group = group_name(event["story_id"])
    message = {"type": MESSAGE_TYPE, "event": event}

    if isinstance(layer, InMemoryChannelLayer):
        loop = _bound_loop
        if loop is None or loop.is_closed():
            # No subscriber has run in this process, so no reader is subscribed.
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            loop.create_task(layer.group_send(group, message))
        else:
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        return

    try:
        async_to_sync(layer.group_send)(group, message)
    except (RedisError, OSError) as exc:
        # The row is stored; subscribers read it when they next poll the table.
        logger.warning("Story %s: event %d not sent to the channel layer: %s", event["story_id"], event["seq"], exc)


def completed_data(story_id: Any) -> dict[str, Any]:
    """Return the data of a ``completed`` event: the story as the REST endpoints return it (StoryResponse)."""
    from rest_framework.utils.encoders import JSONEncoder

    from stories.api.serializers import StoryResponseSerializer

    story = Story.objects.prefetch_related("agent_runs__agent").get(pk=story_id)
    return json.loads(json.dumps(StoryResponseSerializer(story).data, cls=JSONEncoder, ensure_ascii=False))


# Reading.


@dataclass
class _Reading:
    """Events read from the table, the number of the last one, and whether the stream ends with them."""

    events: list[Event] = field(default_factory=list)
    last_seq: int = 0
    ended: bool = False


def _stored_events(story_id: Any, after: int, up_to: int) -> list[Event]:
    rows = StoryEvent.objects.filter(story_id=story_id, seq__gt=after, seq__lte=up_to).order_by("seq")
    return [_event_of(row) for row in rows]


def _until_final(events: list[Event], end_seq: int | None) -> tuple[list[Event], bool]:
    """Cut ``events`` after the event numbered ``end_seq``, and return whether that event was among them.

    Only the story's last final event ends a stream: an earlier one closed a job
    that another (a refinement, say) followed, and a reader replaying from before
    it must go on to the later job's events.
    """
    for index, event in enumerate(events):
        if event["seq"] == end_seq:
            return events[: index + 1], True
    return events, False


def _end_seq(story: Story) -> int | None:
    """Return the number of a finished story's last final event; None while it is queued or running."""
    if story.status not in FINISHED_STATUSES:
        return None
    terminal = StoryEvent.objects.filter(story=story, type__in=TERMINAL_TYPES)
    return terminal.order_by("-seq").values_list("seq", flat=True).first()


def _final_event(story: Story) -> Event:
    """Return the story's last final event, or one built from its status when none was stored.

    A built event covers stories finished by a path that published no event.
    NOTE: it reuses the story's current ``event_seq``, so a client sees that
    number twice; it is not stored.
    """
    stored = StoryEvent.objects.filter(story=story, type__in=TERMINAL_TYPES).order_by("-seq").first()
    if stored is not None:
        return _event_of(stored)
    if story.status == StoryStatus.COMPLETED:
        event_type, data = COMPLETED, completed_data(story.pk)
    elif story.status == StoryStatus.FAILED:
        event_type, data = FAILED, {"error": story.error}
    else:
        event_type, data = CANCELLED, {"reason": story.error}
    return {
        "seq": story.event_seq,
        "type": event_type,
        "story_id": str(story.pk),
        "data": data,
        "timestamp": timezone.localtime(story.finished_at or story.updated_at).isoformat(),
    }


def stage_states(story: Story) -> dict[str, str]:
    """Return the state of each stage the story's current job has reached: "running" or "done".

    The current job's events are those after the story's last final event, so the
    stages of an earlier generation do not show while a refinement runs. A page
    that joins a job's stream late starts from these states, because the snapshot
    it reads carries the text but no stage events.
    """
    events = StoryEvent.objects.filter(story=story, type__in=(*TERMINAL_TYPES, STAGE_STARTED, STAGE_FINISHED))
    final_seq = events.filter(type__in=TERMINAL_TYPES).order_by("-seq").values_list("seq", flat=True).first() or 0
    states: dict[str, str] = {}
    for event_type, data in events.filter(seq__gt=final_seq).order_by("seq").values_list("type", "data"):
        states[data.get("role", "")] = "running" if event_type == STAGE_STARTED else "done"
    return states


def text_so_far(story: Story) -> str:
    """Return the text the story's current job has written, as of ``story.event_seq``.

    For a generation (or a finished story) that is ``content``, which grows in the
    same transaction as each text delta is stored. While a refinement is queued
    or running, ``content`` is still the current version. Then the text is the
    refinement's own deltas, joined: those after the later of the last final
    event and the last ``stage_started`` of the refiner (a retried refinement
    starts over).
    """
    refining = story.pending_refinement and story.status in (StoryStatus.QUEUED, StoryStatus.RUNNING)
    if not refining:
        return story.content
    events = StoryEvent.objects.filter(story=story, seq__lte=story.event_seq)
    final_seq = events.filter(type__in=TERMINAL_TYPES).order_by("-seq").values_list("seq", flat=True).first() or 0
    start_seq = (
        events.filter(type=STAGE_STARTED, data__role=REFINER_ROLE).order_by("-seq").values_list("seq", flat=True).first()
        or 0
    )
    deltas = events.filter(type=TEXT_DELTA, seq__gt=max(final_seq, start_seq)).order_by("seq")
    return "".join(data.get("text", "") for data in deltas.values_list("data", flat=True))


def read_start(story_id: Any, after: int, replay: bool) -> _Reading | None:
    """Read what a new subscriber gets before live events; None for a missing story.

    With ``after == 0`` and no ``replay``: the text so far as one text delta
    numbered ``event_seq``, and for a finished story its final event. Otherwise
    the stored events after ``after`` up to the first final one.
    """
    story = Story.objects.filter(pk=story_id).first()
    if story is None:
        return None
    finished = story.status in FINISHED_STATUSES

    if after == 0 and not replay:
        snapshot: Event = {
            "seq": story.event_seq,
            "type": TEXT_DELTA,
            "story_id": str(story.pk),
            "data": {"text": text_so_far(story)},
            "timestamp": timezone.localtime(story.updated_at).isoformat(),
        }
        if finished:
            return _Reading(events=[snapshot, _final_event(story)], last_seq=story.event_seq, ended=True)
        return _Reading(events=[snapshot], last_seq=story.event_seq)

    events, ended = _until_final(_stored_events(story.pk, after, story.event_seq), _end_seq(story))
    last_seq = events[-1]["seq"] if events else after
    if not ended and finished:
        # A finished story whose final event lies at or before ``after`` has nothing more to send.
        ended = True
        if story.event_seq > after:
            events.append(_final_event(story))
    return _Reading(events=events, last_seq=last_seq, ended=ended)


def read_after(story_id: Any, after: int, up_to: int | None = None) -> _Reading | None:
    """Read the stored events after ``after`` (up to ``up_to``), for a subscriber that is behind.

    Returns None when the story no longer exists. Without ``up_to`` it also ends
    the stream of a story that finished without a final event after ``after``.
    """
    story = Story.objects.filter(pk=story_id).only("id", "status", "event_seq", "error", "finished_at", "updated_at").first()
    if story is None:
        return None
    limit = story.event_seq if up_to is None else min(up_to, story.event_seq)
    events, ended = _until_final(_stored_events(story.pk, after, limit), _end_seq(story))
    last_seq = events[-1]["seq"] if events else after
    if up_to is None and not ended and story.status in FINISHED_STATUSES and story.event_seq <= last_seq:
        events.append(_final_event(story))
        ended = True
    return _Reading(events=events, last_seq=last_seq, ended=ended)


def has_events_after(story_id: Any, after: int) -> bool:
    """Tell whether a subscriber starting after ``after`` gets any event.

    True for ``after == 0``, which gets the text so far. Otherwise false only for
    a finished story whose events all lie at or before ``after``.
    """
    story = Story.objects.filter(pk=story_id).values("status", "event_seq").first()
    if story is None:
        return False
    return after == 0 or story["status"] not in FINISHED_STATUSES or story["event_seq"] > after


# Subscribing.


async def subscribe(story_id: Any, after: int = 0, *, replay: bool = False) -> AsyncIterator[Event]:
    """Yield a story's events in order, without gaps, until its final event.

    Joins the story's group before reading the table, so no event falls between
    the two. With ``after == 0`` it starts with the text so far as one
    ``text_delta`` numbered with the story's ``event_seq``, followed, for a
    finished story, by its final event. With ``after > 0``, or with ``replay``
    (every stored event from the first, for a client that started the job), it
    starts with the stored events after ``after``. Then it yields live events
    numbered above the last one yielded, reading any it missed from the table.
    It ends after ``completed``, ``failed`` or ``cancelled``, or when the story
    is deleted, and leaves the group when it ends or is closed (when the client
    goes away, say).
    """
    bind_loop()
    layer = get_channel_layer()
    group = group_name(story_id)
    inbox: asyncio.Queue[Event] = asyncio.Queue()
    channel = ""
    receiver: asyncio.Task[None] | None = None
    if layer is not None:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        receiver = asyncio.create_task(_receive(layer, channel, inbox))
    try:
        async for event in _story_events(story_id, after, replay, inbox):
            yield event
    finally:
        if receiver is not None:
            receiver.cancel()
        if layer is not None:
            await layer.group_discard(group, channel)


async def _receive(layer: BaseChannelLayer, channel: str, inbox: asyncio.Queue[Event]) -> None:
    """Move the channel's messages into ``inbox``, so a timed wait never cancels a layer receive."""
    try:
        while True:
            message = await layer.receive(channel)
            if message.get("type") == MESSAGE_TYPE:
                inbox.put_nowait(message["event"])
    except (RedisError, OSError) as exc:
        # The subscriber goes on reading the table every POLL_SECONDS.
        logger.warning("Receiving on %s failed; falling back to reading the table: %s", channel, exc)


async def _story_events(story_id: Any, after: int, replay: bool, inbox: asyncio.Queue[Event]) -> AsyncIterator[Event]:
    start = await database_sync_to_async(read_start)(story_id, after, replay)
    if start is None:
        return
    for event in start.events:
        yield event
    if start.ended:
        return

    last_seq = start.last_seq
    while True:
        try:
            live: Event | None = await asyncio.wait_for(inbox.get(), POLL_SECONDS)
        except TimeoutError:
            live = None
        if live is not None and live["seq"] <= last_seq:
            continue

        if live is None:
            reading = await database_sync_to_async(read_after)(story_id, last_seq)
        elif live["seq"] > last_seq + 1:
            reading = await database_sync_to_async(read_after)(story_id, last_seq, live["seq"] - 1)
        else:
            reading = _Reading()
        if reading is None:
            logger.info("Story %s was deleted; its event stream ends", story_id)
            return

        for event in reading.events:
            yield event
            last_seq = event["seq"]
        if reading.ended:
            return
        if live is not None:
            yield live
            last_seq = live["seq"]
            if live["type"] in TERMINAL_TYPES:
                return
