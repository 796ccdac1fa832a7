"""The generation socket, /api/v2/ws/stories/generate, with the real model and the real application."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from stories.events import group_name
from stories.models import Story, StoryEvent, StoryStatus
from storyengine.jobs import wait_for_embedded_jobs
from tests.sockets import (
    STORY_TIMEOUT,
    access_token,
    asgi_application,  # noqa: F401 - fixture
    communicator,
)

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/api/v2/ws/stories/generate"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
FINAL_TYPES = {"completed", "failed", "cancelled"}


@pytest.fixture(autouse=True)
def drain_jobs():
    yield
    wait_for_embedded_jobs(timeout=600)


@pytest.fixture
def rate_of_two(monkeypatch):
    # DRF copies DEFAULT_THROTTLE_RATES onto the class at import; the class attribute is what a throttle reads.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"generation": "2/min"})


async def open_socket(application, user):
    client = communicator(application, PATH, access_token(user))
    connected, _ = await client.connect(timeout=10)
    assert connected
    return client


async def group_size(group: str) -> int:
    """Count the channels in a channel-layer group, reading the layer's own storage."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return len(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zcard(layer._group_key(group))


async def wait_for_jobs() -> None:
    await database_sync_to_async(wait_for_embedded_jobs, thread_sensitive=False)(timeout=600)


async def test_request_streams_events_until_completed(asgi_application, owner):
    client = await open_socket(asgi_application, owner)

    await client.send_json_to({"prompt": PROMPT, "length": 100, "cultural_context": "rural"})
    accepted = await client.receive_json_from(timeout=30)
    assert accepted["type"] == "generation_accepted"
    story_id = accepted["data"]["story_id"]
    assert accepted["data"]["status"] == "queued"

    raw_frames: list[str] = []
    events = []
    while not events or events[-1]["type"] not in FINAL_TYPES:
        frame = await client.receive_from(timeout=STORY_TIMEOUT)
        raw_frames.append(frame)
        message = json.loads(frame)
        assert message["type"] == "generation_progress", message
        assert set(message) == {"type", "data", "timestamp"}
        events.append(message["data"])
    await client.disconnect()

    story = await database_sync_to_async(Story.objects.get)(pk=story_id)
    assert story.status == StoryStatus.COMPLETED
    assert events[-1]["type"] == "completed"
    assert events[-1]["data"]["story_id"] == story_id
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert {event["story_id"] for event in events} == {story_id}
    streamed = "".join(event["data"]["text"] for event in events if event["type"] == "text_delta")
    assert streamed == story.content != ""
    assert "\ufffd" not in streamed
    # Telugu travels as characters, not as \u0c.. escapes.
    assert "\\u0c" not in "".join(raw_frames).lower()
    assert any("\u0c00" <= character <= "\u0c7f" for character in "".join(raw_frames))


async def test_invalid_request_gets_error_and_socket_stays_open(asgi_application, owner):
    client = await open_socket(asgi_application, owner)

    await client.send_json_to({"prompt": "చిన్న", "emotion_focus": ["karuna", "sadness"], "length": "150"})
    first = await client.receive_json_from(timeout=30)
    await client.send_to(text_data="not json")
    second = await client.receive_json_from(timeout=30)
    await client.send_json_to(["a", "list"])
    third = await client.receive_json_from(timeout=30)

    assert first["type"] == "error"
    assert first["message"] == "Invalid request"
    assert set(first) == {"type", "message", "details", "timestamp"}
    assert set(first["details"]) == {"prompt", "emotion_focus.1", "length"}
    assert all(isinstance(messages, list) for messages in first["details"].values())
    assert second["type"] == third["type"] == "error"
    assert "non_field_errors" in second["details"]
    assert "non_field_errors" in third["details"]
    assert await client.receive_nothing()
    assert await database_sync_to_async(Story.objects.count)() == 0
    await client.disconnect()


async def test_validation_messages_are_english(asgi_application, owner):
    client = await open_socket(asgi_application, owner)

    await client.send_json_to({"length": 5})
    reply = await client.receive_json_from(timeout=30)

    assert reply["details"]["prompt"] == ["This field is required."]
    assert reply["details"]["length"] == ["Ensure this value is greater than or equal to 100."]
    await client.disconnect()


async def test_story_is_saved_after_client_disconnects(asgi_application, owner):
    client = await open_socket(asgi_application, owner)
    await client.send_json_to({"prompt": PROMPT, "length": 100})
    accepted = await client.receive_json_from(timeout=30)
    story_id = accepted["data"]["story_id"]

    for _ in range(2):
        message = await client.receive_json_from(timeout=STORY_TIMEOUT)
        assert message["type"] == "generation_progress"
    assert await group_size(group_name(story_id)) == 1
    await client.disconnect()

    assert await group_size(group_name(story_id)) == 0, "the stream must leave the story's group"
    await wait_for_jobs()
    story = await database_sync_to_async(Story.objects.get)(pk=story_id)
    assert story.status == StoryStatus.COMPLETED
    deltas = await database_sync_to_async(list)(
        StoryEvent.objects.filter(story_id=story_id, type="text_delta").order_by("seq").values_list("data", flat=True)
    )
    assert "".join(data["text"] for data in deltas) == story.content != ""


async def test_socket_requests_share_rest_rate_limit(asgi_application, owner, rate_of_two):
    client = await open_socket(asgi_application, owner)
    invalid = {"prompt": "చిన్న"}

    replies = []
    for _ in range(3):
        await client.send_json_to(invalid)
        replies.append(await client.receive_json_from(timeout=30))
    rest = APIClient()
    rest.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(owner)}")
    response = await database_sync_to_async(rest.post)("/api/v2/stories/generate", invalid, format="json")
    await client.send_json_to({"prompt": PROMPT, "length": 100})
    after_rest = await client.receive_json_from(timeout=30)

    assert [reply["message"] for reply in replies[:2]] == ["Invalid request", "Invalid request"]
    limited = replies[2]
    assert limited["type"] == "error"
    assert limited["details"] == {}
    assert 1 <= limited["retry_after"] <= 60
    assert str(limited["retry_after"]) in limited["message"]
    assert response.status_code == 429
    assert after_rest["type"] == "error"
    assert "retry_after" in after_rest
    assert await database_sync_to_async(Story.objects.count)() == 0
    await client.disconnect()


async def test_unavailable_model_gets_error_with_retry(asgi_application, owner, settings, tmp_path):
    settings.STORYENGINE_MODEL_PATH = str(tmp_path / "missing.gguf")
    client = await open_socket(asgi_application, owner)

    await client.send_json_to({"prompt": PROMPT, "length": 100})
    reply = await client.receive_json_from(timeout=30)

    assert reply["type"] == "error"
    assert "missing.gguf" in reply["message"]
    assert reply["retry_after"] > 0
    assert await database_sync_to_async(Story.objects.count)() == 0
    await client.disconnect()


@pytest.mark.slow
async def test_concurrent_requests_each_finish(asgi_application, owner, other):
    """Three sockets ask at once; the one model serves the jobs one at a time and every story completes."""
    clients = [await open_socket(asgi_application, user) for user in (owner, other, owner)]
    for client in clients:
        await client.send_json_to({"prompt": PROMPT, "length": 100})

    story_ids = []
    for client in clients:
        accepted = await client.receive_json_from(timeout=30)
        assert accepted["type"] == "generation_accepted"
        story_ids.append(accepted["data"]["story_id"])
    finals = []
    for client in clients:
        while True:
            message = await client.receive_json_from(timeout=STORY_TIMEOUT)
            if message["data"]["type"] in FINAL_TYPES:
                finals.append(message["data"])
                break
        await client.disconnect()

    assert [final["type"] for final in finals] == ["completed"] * 3
    assert [final["story_id"] for final in finals] == story_ids
    statuses = await database_sync_to_async(list)(Story.objects.filter(pk__in=story_ids).values_list("status", flat=True))
    assert statuses == [StoryStatus.COMPLETED] * 3
