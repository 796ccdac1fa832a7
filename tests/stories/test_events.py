"""Progress events of generation and refinement jobs, with the real model, and their subscribers."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connections, transaction
from django.utils import timezone

from agents.pipeline.beats import CONTINUATION_CUES
from agents.pipeline.prose import SENTENCE_ENDS
from agents.runtime import ModelUnavailable
from agents.runtime.llm import ModelRuntime
from analysis.text import word_count
from storyengine.jobs import wait_for_embedded_jobs
from stories import events, refinement, services
from stories.api.serializers import StoryResponseSerializer
from stories.jobs import run_generation
from stories.models import Story, StoryEvent, StoryStatus
from tests.stories.support import make_story

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
# Seconds to wait for a whole tiny story in the async tests; a bound on a hang, not a measurement.
STORY_TIMEOUT = 600

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def drain_jobs():
    yield
    wait_for_embedded_jobs(timeout=STORY_TIMEOUT)
    close_async_test_connections()


def close_async_test_connections() -> None:
    """Close the connection that ``sync_to_async`` calls of an async test opened in asgiref's shared thread.

    Left open, it keeps PostgreSQL from dropping the test database at the end of the run.
    """
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def queued_story(owner, seed: int = 3, length: int = 40) -> Story:
    return Story.objects.create(
        owner=owner,
        prompt=PROMPT,
        target_length=length,
        cultural_context="rural",
        advanced_options={"seed": seed},
    )


def stored_events(story: Story) -> list[dict]:
    return list(StoryEvent.objects.filter(story=story).order_by("seq").values("seq", "type", "data"))


def joined_text(rows: list[dict]) -> str:
    return "".join(row["data"]["text"] for row in rows if row["type"] == events.TEXT_DELTA)


def test_generation_events_are_numbered_without_gaps(owner):
    story = queued_story(owner)

    run_generation(str(story.pk))

    story.refresh_from_db()
    rows = stored_events(story)
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    assert story.event_seq == len(rows)
    assert rows[0] == {"seq": 1, "type": events.STAGE_STARTED, "data": {"role": "planner"}}
    assert rows[-1]["type"] == events.COMPLETED
    assert [row["type"] for row in rows].count(events.COMPLETED) == 1
    started = [row["data"]["role"] for row in rows if row["type"] == events.STAGE_STARTED]
    finished = [row["data"]["role"] for row in rows if row["type"] == events.STAGE_FINISHED]
    assert started == finished == ["planner", "cultural", "writer", "emotion", "editor"]
    checkpoints = [row["data"] for row in rows if row["type"] == events.CHECKPOINT]
    assert checkpoints[-1]["title"] == story.title
    assert checkpoints[-1]["word_count"] == story.word_count


def test_completed_event_carries_story_response(owner, owner_client):
    story = queued_story(owner)

    run_generation(str(story.pk))

    completed = StoryEvent.objects.get(story=story, type=events.COMPLETED)
    story = Story.objects.prefetch_related("agent_runs__agent").get(pk=story.pk)
    expected = json.loads(json.dumps(StoryResponseSerializer(story).data, default=str, ensure_ascii=False))
    assert completed.data == expected
    assert completed.data["status"] == StoryStatus.COMPLETED
    assert completed.data["content"] == story.content
    detail = owner_client.get(f"/api/v2/stories/{story.pk}").json()
    assert {key: detail[key] for key in completed.data} == completed.data


def test_joined_deltas_equal_saved_content_for_ten_seeds(owner, settings, monkeypatch):
    """Ten generations: half with 8-token calls, so most sentences stop on max_tokens, half with 40."""
    finish_reasons: list[str] = []
    complete = ModelRuntime.complete

    def recording_complete(self, request, *args, **kwargs):
        completion = complete(self, request, *args, **kwargs)
        finish_reasons.append(completion.finish_reason)
        return completion

    monkeypatch.setattr(ModelRuntime, "complete", recording_complete)

    for seed in range(1, 11):
        settings.STORYENGINE_MAX_TOKENS_CAP = 8 if seed <= 5 else 40
        story = queued_story(owner, seed=seed, length=20)

        run_generation(str(story.pk))

        story.refresh_from_db()
        assert story.status == StoryStatus.COMPLETED, story.error
        rows = stored_events(story)
        joined = joined_text(rows)
        assert joined.encode() == story.content.encode(), f"seed {seed}"
        assert "\ufffd" not in joined
        assert all(row["data"]["text"] for row in rows if row["type"] == events.TEXT_DELTA)
        assert rows[-1]["data"]["content"] == story.content
    assert "length" in finish_reasons
    assert "stop" in finish_reasons


def test_writer_streams_words_before_sentence_ends(owner):
    story = queued_story(owner, seed=5, length=40)

    run_generation(str(story.pk))

    story.refresh_from_db()
    cues = [beat["cue"] for beat in story.plan["beats"]] + list(CONTINUATION_CUES)
    deltas = [row["data"]["text"] for row in stored_events(story) if row["type"] == events.TEXT_DELTA]
    model_deltas = [delta for delta in deltas if delta.removeprefix("\n\n") not in cues]
    words_alone = [delta for delta in model_deltas if not delta.endswith(SENTENCE_ENDS)]
    assert words_alone, model_deltas
    assert all(word_count(delta) <= 2 for delta in words_alone), words_alone


def test_resumed_job_continues_saved_deltas(owner):
    first = queued_story(owner)
    run_generation(str(first.pk))
    first.refresh_from_db()
    # An interrupted first attempt: its events up to the end of the first paragraph are stored.
    rows = stored_events(first)
    first_break = next(
        index for index, row in enumerate(rows) if row["type"] == events.TEXT_DELTA and row["data"]["text"].startswith("\n\n")
    )
    interrupted = queued_story(owner)
    Story.objects.filter(pk=interrupted.pk).update(status=StoryStatus.RUNNING, attempts=1, plan=first.plan, title=first.title)
    for row in rows[:first_break]:
        if row["type"] == events.TEXT_DELTA:
            with transaction.atomic():
                events.publish(interrupted.pk, events.TEXT_DELTA, row["data"])
                Story.objects.filter(pk=interrupted.pk).update(
                    content=Story.objects.get(pk=interrupted.pk).content + row["data"]["text"]
                )
    # Untouched for an hour: its job is gone, so the next one takes it over.
    Story.objects.filter(pk=interrupted.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    run_generation(str(interrupted.pk))

    interrupted.refresh_from_db()
    resumed_rows = stored_events(interrupted)
    assert interrupted.status == StoryStatus.COMPLETED
    assert interrupted.metadata["resumed"] is True
    assert [row["seq"] for row in resumed_rows] == list(range(1, len(resumed_rows) + 1))
    assert joined_text(resumed_rows) == interrupted.content


def test_failed_job_publishes_error(owner, monkeypatch):
    # The real model cannot be made to vanish mid-job on demand, so the loader fails here.
    def unavailable(*args, **kwargs):
        raise ModelUnavailable("The model file /models/gone.gguf is missing.")

    monkeypatch.setattr("agents.pipeline.orchestrator.get_runtime", unavailable)
    story = queued_story(owner)

    run_generation(str(story.pk))

    last = StoryEvent.objects.filter(story=story).order_by("-seq").first()
    assert last.type == events.FAILED
    assert last.data == {"error": "The model file /models/gone.gguf is missing."}


def test_rolled_back_publish_stores_nothing(owner):
    story = make_story(owner, status=StoryStatus.RUNNING)

    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(story.pk, events.STAGE_STARTED, {"role": "writer"})
        raise RuntimeError("rolled back on purpose")

    story.refresh_from_db()
    assert story.event_seq == 0
    assert not StoryEvent.objects.filter(story=story).exists()


async def test_rolled_back_publish_sends_nothing(owner):
    story = await sync_to_async(make_story)(owner, status=StoryStatus.RUNNING)
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(events.group_name(story.pk), channel)
    events.bind_loop()

    def publish_then_roll_back() -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish(story.pk, events.STAGE_STARTED, {"role": "writer"})
            raise RuntimeError("rolled back on purpose")
        events.publish(story.pk, events.STAGE_STARTED, {"role": "editor"})

    await sync_to_async(publish_then_roll_back)()

    message = await asyncio.wait_for(layer.receive(channel), STORY_TIMEOUT)
    assert message["event"]["seq"] == 1
    assert message["event"]["data"] == {"role": "editor"}
    await layer.group_discard(events.group_name(story.pk), channel)


def test_finished_story_takes_no_further_progress_events(owner):
    story = make_story(owner, status=StoryStatus.CANCELLED)

    assert events.publish(story.pk, events.TEXT_DELTA, {"text": "ఇంకా"}) is None
    assert events.publish(story.pk, events.FAILED, {"error": "late"}) is not None


def test_refinement_deltas_build_new_version(owner):
    story = queued_story(owner, length=40)
    run_generation(str(story.pk))
    story.refresh_from_db()
    generation_seq = story.event_seq
    params = refinement.RefinementParams(refinement_type="plot_improvement", improvements=["కథనం మెరుగుపరచండి"])
    with transaction.atomic():
        refinement.start_refinement(owner, story.pk, params)
    wait_for_embedded_jobs(timeout=STORY_TIMEOUT)

    story.refresh_from_db()
    rows = [row for row in stored_events(story) if row["seq"] > generation_seq]
    assert story.version == 2
    assert rows[0] == {"seq": generation_seq + 1, "type": events.STAGE_STARTED, "data": {"role": "refiner"}}
    assert joined_text(rows) == story.content
    assert rows[-1]["type"] == events.COMPLETED
    assert rows[-1]["data"]["content"] == story.content


def test_refinement_text_so_far(owner):
    story = make_story(owner)
    with transaction.atomic():
        events.publish(story.pk, events.COMPLETED, {"content": story.content})
    Story.objects.filter(pk=story.pk).update(
        status=StoryStatus.RUNNING, pending_refinement={"refinement_type": "plot_improvement"}
    )
    events.publish(story.pk, events.STAGE_STARTED, {"role": "refiner"})
    events.publish(story.pk, events.TEXT_DELTA, {"text": "ఒక ఊరిలో"})
    events.publish(story.pk, events.TEXT_DELTA, {"text": " సీత ఉండేది."})

    story.refresh_from_db()
    assert events.text_so_far(story) == "ఒక ఊరిలో సీత ఉండేది."


async def collect(iterator, count: int | None = None) -> list[dict]:
    """Read events until the iterator ends, or ``count`` of them."""
    received = []
    async for event in iterator:
        received.append(event)
        if count is not None and len(received) == count:
            break
    return received


async def test_finished_story_subscriber_snapshot(owner):
    story = await sync_to_async(queued_story)(owner)
    await sync_to_async(run_generation)(str(story.pk))
    await sync_to_async(story.refresh_from_db)()

    received = await asyncio.wait_for(collect(events.subscribe(story.pk)), STORY_TIMEOUT)

    assert [event["type"] for event in received] == [events.TEXT_DELTA, events.COMPLETED]
    assert received[0]["data"]["text"] == story.content
    assert received[0]["seq"] == received[1]["seq"] == story.event_seq


async def test_subscriber_resumes_after_event_number(owner):
    story = await sync_to_async(queued_story)(owner)
    await sync_to_async(run_generation)(str(story.pk))
    rows = await sync_to_async(stored_events)(story)

    received = await asyncio.wait_for(collect(events.subscribe(story.pk, after=5)), STORY_TIMEOUT)

    assert [(event["seq"], event["type"], event["data"]) for event in received] == [
        (row["seq"], row["type"], row["data"]) for row in rows[5:]
    ]


def refinement_after_generation(owner) -> Story:
    """Store a finished generation's events, then the start of a refinement that is running."""
    story = make_story(owner)
    events.publish(story.pk, events.COMPLETED, {"content": story.content})
    Story.objects.filter(pk=story.pk).update(
        status=StoryStatus.RUNNING, pending_refinement={"refinement_type": "plot_improvement"}
    )
    events.publish(story.pk, events.STAGE_STARTED, {"role": "refiner"})
    events.publish(story.pk, events.TEXT_DELTA, {"text": "ఒక ఊరిలో"})
    return story


async def test_replay_goes_past_earlier_job_final_event(owner):
    story = await sync_to_async(refinement_after_generation)(owner)
    stream = events.subscribe(story.pk, replay=True)

    received = await asyncio.wait_for(collect(stream, count=3), 30)

    assert [event["type"] for event in received] == [events.COMPLETED, events.STAGE_STARTED, events.TEXT_DELTA]
    # The refinement is still running, so the stream waits for its events instead of ending.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(stream), 1.0)
    await stream.aclose()


async def test_late_subscriber_gets_saved_text_then_live_events(owner):
    params = services.GenerationParams(
        prompt=PROMPT, story_type="short_story", cultural_context="rural", target_length=60
    )
    story = await sync_to_async(services.start_generation)(owner, params)
    # Join once the writer has streamed some text, so the snapshot is not empty.
    while not await StoryEvent.objects.filter(story_id=story.pk, type=events.TEXT_DELTA).aexists():
        await asyncio.sleep(0.1)

    received = await asyncio.wait_for(collect(events.subscribe(story.pk)), STORY_TIMEOUT)

    await sync_to_async(story.refresh_from_db)()
    snapshot, live = received[0], received[1:]
    assert snapshot["type"] == events.TEXT_DELTA
    assert snapshot["data"]["text"] != ""
    assert [event["seq"] for event in live] == list(range(snapshot["seq"] + 1, story.event_seq + 1))
    assert live[-1]["type"] == events.COMPLETED
    assert snapshot["data"]["text"] + joined_text(live) == story.content


async def test_subscriber_leaves_group_when_closed(owner):
    story = await sync_to_async(make_story)(owner, status=StoryStatus.RUNNING)
    subscription = events.subscribe(story.pk)

    first = await asyncio.wait_for(subscription.__anext__(), STORY_TIMEOUT)
    receiving_while_open = receiving_tasks()
    await subscription.aclose()
    await asyncio.sleep(0)

    assert first["type"] == events.TEXT_DELTA
    assert len(receiving_while_open) == 1
    assert receiving_tasks() == []
    assert await group_size(events.group_name(story.pk)) == 0


def publish_words(story_id, count: int) -> str:
    """Publish ``count`` one-word deltas and ``completed``, as a long word-by-word story would, and return the text."""
    text = ""
    for index in range(count):
        delta = f" పదం{index}"
        events.publish(story_id, events.TEXT_DELTA, {"text": delta})
        text += delta
    Story.objects.filter(pk=story_id).update(status=StoryStatus.COMPLETED)
    events.publish(story_id, events.COMPLETED, {"content": text})
    return text


async def test_slow_subscriber_holds_back_no_other(owner):
    story = await sync_to_async(make_story)(owner, status=StoryStatus.RUNNING, content="")
    fast = events.subscribe(story.pk)
    slow = events.subscribe(story.pk)
    await asyncio.wait_for(anext(fast), 30)
    await asyncio.wait_for(anext(slow), 30)

    # More events than a channel-layer channel buffers (100 by default), while one
    # subscriber reads nothing until the story has ended.
    reading = asyncio.create_task(collect(fast))
    text = await asyncio.wait_for(sync_to_async(publish_words)(story.pk, 250), STORY_TIMEOUT)
    fast_events = await asyncio.wait_for(reading, 60)
    slow_events = await asyncio.wait_for(collect(slow), 60)

    for received in (fast_events, slow_events):
        assert [event["seq"] for event in received] == list(range(1, 252))
        assert received[-1]["type"] == events.COMPLETED
        assert joined_text(received) == text


def receiving_tasks() -> list[asyncio.Task]:
    """List the unfinished tasks that receive a subscriber's channel-layer messages."""
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "") == "_receive"
    ]


async def group_size(group: str) -> int:
    """Count the channels in a group of the in-memory or the Redis channel layer."""
    layer = get_channel_layer()
    if hasattr(layer, "groups"):
        return len(layer.groups.get(group, {}))
    async with layer.connection(layer.consistent_hash(group)) as connection:
        return await connection.zcard(layer._group_key(group))


def test_event_timestamps_have_time_zone(owner):
    story = make_story(owner, status=StoryStatus.RUNNING)

    event = events.publish(story.pk, events.STAGE_STARTED, {"role": "writer"})

    assert datetime.fromisoformat(event["timestamp"]).tzinfo is not None
