"""POST /api/v2/stories/generate/stream and GET /api/v2/stories/{id}/events, through the ASGI app.

The streaming tests call Django's ASGI application in the test's event loop and
read each response message as the application sends it, as a server would.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from storyengine.jobs import wait_for_embedded_jobs
from stories import events
from stories.models import Story, StoryEvent, StoryStatus
from tests.stories.support import assert_error, assert_field_error, make_story
from tests.stories.test_events import close_async_test_connections, group_size

STREAM_URL = "/api/v2/stories/generate/stream"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
REQUEST = {"prompt": PROMPT, "length": 100, "cultural_context": "rural", "advanced_options": {"seed": 5}}
# Seconds to wait for one response message; a bound on a hang, not a measurement.
MESSAGE_TIMEOUT = 600

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def drain_jobs():
    yield
    wait_for_embedded_jobs(timeout=MESSAGE_TIMEOUT)
    close_async_test_connections()


def events_url(story) -> str:
    return f"/api/v2/stories/{story.pk}/events"


def bearer(user) -> str:
    return f"Bearer {AccessToken.for_user(user)}"


class AsgiRequest:
    """One HTTP request to the ASGI application, whose response messages are read as they arrive."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes = b"", query: dict | None = None):
        self.messages: asyncio.Queue[dict] = asyncio.Queue()
        self._body = body
        self._body_sent = False
        self._disconnected = asyncio.Event()
        if body:
            headers = {**headers, "content-length": str(len(body))}
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode(query or {}).encode(),
            "root_path": "",
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        self.task = asyncio.create_task(get_asgi_application()(scope, self._receive, self.messages.put))

    async def _receive(self) -> dict:
        if not self._body_sent:
            self._body_sent = True
            return {"type": "http.request", "body": self._body, "more_body": False}
        await self._disconnected.wait()
        return {"type": "http.disconnect"}

    def disconnect(self) -> None:
        self._disconnected.set()

    async def next_message(self) -> dict:
        return await asyncio.wait_for(self.messages.get(), MESSAGE_TIMEOUT)

    async def start(self) -> tuple[int, dict[str, str]]:
        message = await self.next_message()
        assert message["type"] == "http.response.start"
        return message["status"], {name.decode().lower(): value.decode() for name, value in message["headers"]}

    async def next_events(self, count: int) -> list[dict]:
        """Read the next ``count`` events, skipping heartbeats."""
        received: list[dict] = []
        while len(received) < count:
            message = await self.next_message()
            received.extend(item for item in parse_messages(message.get("body", b"")) if "event" in item)
        return received

    async def body(self) -> bytes:
        chunks = []
        while True:
            message = await self.next_message()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)


def parse_messages(chunk: bytes) -> list[dict]:
    """Parse the SSE messages of a chunk into events (``{"id", "event"}``) and heartbeats (``{"comment"}``)."""
    parsed = []
    for block in chunk.decode().split("\n\n"):
        if not block:
            continue
        if block.startswith(":"):
            parsed.append({"comment": block[1:].strip()})
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        parsed.append({"id": int(lines["id"]), "event": json.loads(lines["data"])})
    return parsed


def stream_headers(user, **extra: str) -> dict[str, str]:
    headers = {
        "authorization": bearer(user),
        "content-type": "application/json",
        "accept": "text/event-stream",
        "accept-encoding": "gzip",
    }
    headers.update(extra)
    return headers


async def test_stream_arrives_event_by_event_with_gzip_accepted(owner):
    request = AsgiRequest("POST", STREAM_URL, stream_headers(owner), json.dumps(REQUEST).encode())

    status, headers = await request.start()
    received: list[dict] = []
    status_at_first_event = None
    body = b""
    while True:
        message = await request.next_message()
        body += message.get("body", b"")
        for item in parse_messages(message.get("body", b"")):
            if "comment" in item:
                continue
            received.append(item)
            if status_at_first_event is None:
                story_id = item["event"]["story_id"]
                status_at_first_event = await Story.objects.values_list("status", flat=True).aget(pk=story_id)
        if not message.get("more_body"):
            break
        # One event per body message: the stream is neither buffered nor compressed.
        assert len(parse_messages(message["body"])) == 1

    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    assert headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in headers
    assert status_at_first_event in (StoryStatus.QUEUED, StoryStatus.RUNNING)
    story = await Story.objects.aget(pk=received[0]["event"]["story_id"])
    assert [item["id"] for item in received] == list(range(1, story.event_seq + 1))
    assert all(item["id"] == item["event"]["seq"] for item in received)
    assert received[-1]["event"]["type"] == events.COMPLETED
    joined = "".join(item["event"]["data"]["text"] for item in received if item["event"]["type"] == events.TEXT_DELTA)
    assert joined == story.content
    assert "\\u0c" not in body.decode()
    assert story.title in body.decode()


async def test_client_gone_after_two_events_leaves_story_saved(owner):
    request = AsgiRequest("POST", STREAM_URL, stream_headers(owner), json.dumps(REQUEST).encode())
    await request.start()
    first, second = await request.next_events(2)

    request.disconnect()
    await asyncio.wait_for(request.task, MESSAGE_TIMEOUT)
    await sync_to_async(wait_for_embedded_jobs)(MESSAGE_TIMEOUT)

    assert [first["id"], second["id"]] == [1, 2]
    story = await Story.objects.aget(pk=first["event"]["story_id"])
    assert story.status == StoryStatus.COMPLETED
    assert story.content != ""
    assert await group_size(events.group_name(story.pk)) == 0
    # The stream's own tasks: the one pulling events and the one receiving from the channel layer.
    stream_tasks = {"sse_body.<locals>.pump", "_receive"}
    leftover = [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "") in stream_tasks
    ]
    assert leftover == []


async def test_events_stream_heartbeats_while_idle(owner, settings):
    settings.STORYENGINE_SSE_HEARTBEAT_SECONDS = 0.05
    story = await sync_to_async(make_story)(owner, status=StoryStatus.QUEUED, content="")
    request = AsgiRequest("GET", events_url(story), {"authorization": bearer(owner)})

    status, _ = await request.start()
    snapshot = parse_messages((await request.next_message())["body"])
    heartbeat = parse_messages((await request.next_message())["body"])
    request.disconnect()
    await asyncio.wait_for(request.task, MESSAGE_TIMEOUT)

    assert status == 200
    assert snapshot == [
        {
            "id": 0,
            "event": {
                "seq": 0,
                "type": "text_delta",
                "story_id": str(story.pk),
                "data": {"text": ""},
                "timestamp": snapshot[0]["event"]["timestamp"],
            },
        }
    ]
    assert heartbeat == [{"comment": "heartbeat"}]


async def test_events_of_finished_story_with_session(owner, client):
    story = await sync_to_async(make_story)(owner)
    await sync_to_async(client.force_login)(owner)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    request = AsgiRequest("GET", events_url(story), {"cookie": cookie})

    status, _ = await request.start()
    received = parse_messages(await request.body())

    assert status == 200
    assert [item["event"]["type"] for item in received] == [events.TEXT_DELTA, events.COMPLETED]
    assert received[0]["event"]["data"]["text"] == story.content


def publish_run(story: Story, texts: list[str]) -> None:
    """Store the events of a short finished job on ``story``."""
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.RUNNING, content="")
    events.publish(story.pk, events.STAGE_STARTED, {"role": "writer"})
    for text in texts:
        events.publish(story.pk, events.TEXT_DELTA, {"text": text})
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.COMPLETED, content="".join(texts))
    events.publish(story.pk, events.COMPLETED, {"content": "".join(texts)})


@pytest.mark.parametrize("resume", ["query", "header"])
async def test_events_resume_after_event_number(owner, resume):
    story = await sync_to_async(make_story)(owner)
    await sync_to_async(publish_run)(story, ["ఒక ఊరిలో", " సీత", " ఉండేది."])
    if resume == "query":
        request = AsgiRequest("GET", events_url(story), {"authorization": bearer(owner)}, query={"after": 2})
    else:
        request = AsgiRequest("GET", events_url(story), {"authorization": bearer(owner), "last-event-id": "2"})

    status, _ = await request.start()
    received = parse_messages(await request.body())

    assert status == 200
    assert [(item["id"], item["event"]["type"]) for item in received] == [
        (3, events.TEXT_DELTA),
        (4, events.TEXT_DELTA),
        (5, events.COMPLETED),
    ]
    assert [item["event"]["data"].get("text") for item in received[:2]] == [" సీత", " ఉండేది."]


def test_finished_story_events_204(owner, owner_client):
    story = make_story(owner)
    publish_run(story, ["ఒక ఊరిలో"])

    response = owner_client.get(events_url(story), {"after": 3})

    assert response.status_code == 204
    assert StoryEvent.objects.filter(story=story).count() == 3


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", ""])
def test_events_rejects_invalid_after(owner, owner_client, after):
    story = make_story(owner)

    response = owner_client.get(events_url(story), {"after": after}, HTTP_ACCEPT="text/event-stream")

    assert_field_error(response, events_url(story), "after")


def test_events_rejects_invalid_last_event_id(owner, owner_client):
    story = make_story(owner)

    response = owner_client.get(events_url(story), HTTP_LAST_EVENT_ID="seven")

    assert_field_error(response, events_url(story), "after")


def test_events_of_other_users_story_is_404(owner, other_client):
    story = make_story(owner, is_public=True)

    response = other_client.get(events_url(story))

    assert_error(response, 404, events_url(story))


def test_events_of_unknown_story_is_404(owner_client):
    path = "/api/v2/stories/00000000-0000-4000-8000-000000000000/events"

    response = owner_client.get(path)

    assert_error(response, 404, path)


def test_events_requires_authentication(owner, anonymous_client):
    story = make_story(owner)

    response = anonymous_client.get(events_url(story))

    assert_error(response, 401, events_url(story))


def test_stream_rejects_invalid_request_with_envelope(owner_client):
    response = owner_client.post(STREAM_URL, {"prompt": "చిన్న"}, format="json", HTTP_ACCEPT="text/event-stream")

    error = assert_field_error(response, STREAM_URL, "prompt")
    assert response["Content-Type"] == "application/json"
    assert error["message"]
    assert Story.objects.count() == 0


def test_stream_requires_authentication(anonymous_client):
    response = anonymous_client.post(STREAM_URL, REQUEST, format="json")

    assert_error(response, 401, STREAM_URL)


def test_stream_shares_generation_rate_limit(owner_client, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"generation": "1/min"})
    invalid = {"prompt": "చిన్న"}
    assert owner_client.post("/api/v2/stories/generate", invalid, format="json").status_code == 400

    response = owner_client.post(STREAM_URL, invalid, format="json")

    assert_error(response, 429, STREAM_URL)
    assert int(response["Retry-After"]) >= 1


def test_schema_describes_stream_endpoints(anonymous_client):
    schema = anonymous_client.get("/api/v2/openapi.json").json()

    stream = schema["paths"]["/api/v2/stories/generate/stream"]["post"]
    watch = schema["paths"]["/api/v2/stories/{story_id}/events"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    assert "text/event-stream" in watch["responses"]["200"]["content"]
    assert {parameter["name"] for parameter in watch["parameters"]} >= {"after", "Last-Event-ID"}
    assert "post" in schema["paths"]["/api/v2/stories/{story_id}/cancel"]

