"""The monitoring socket, /api/v2/ws/monitoring, against the real application and the real model."""

from __future__ import annotations

import os

import psutil
import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from agents.monitoring import ProcessSampler, queue_depth
from agents.seeds import DEFAULT_AGENTS
from agents.services import agent_config
from stories import services
from stories.models import StoryStatus
from storyengine.jobs import wait_for_embedded_jobs
from tests.sockets import (
    STORY_TIMEOUT,
    access_token,
    asgi_application,  # noqa: F401 - fixture
    communicator,
    receive_until,
)
from tests.stories.support import make_story

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/api/v2/ws/monitoring"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
INITIAL_TYPES = ["agent_status", "queue", "process"]


@pytest.fixture(autouse=True)
def drain_jobs():
    yield
    wait_for_embedded_jobs(timeout=600)


@pytest.fixture
def agents(db):
    """Create every agent row; a transactional test starts with the table its migration seeded emptied."""
    return [agent_config(values["id"]) for values in DEFAULT_AGENTS]


async def open_socket(application, user):
    client = communicator(application, PATH, access_token(user))
    connected, _ = await client.connect(timeout=10)
    assert connected
    return client


async def initial_state(client) -> dict[str, dict]:
    messages = [await client.receive_json_from(timeout=30) for _ in INITIAL_TYPES]
    assert [message["type"] for message in messages] == INITIAL_TYPES
    return {message["type"]: message for message in messages}


def start_story(user) -> str:
    params = services.GenerationParams(
        prompt=PROMPT, story_type="short_story", cultural_context="rural", target_length=100
    )
    return str(services.start_generation(user, params).pk)


async def test_new_socket_gets_status_queue_and_process(asgi_application, owner, agents):
    client = await open_socket(asgi_application, owner)
    rest = APIClient()
    rest.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(owner)}")

    state = await initial_state(client)
    response = await database_sync_to_async(rest.get)("/api/v2/agents/status")
    await client.disconnect()

    status = state["agent_status"]["data"]
    body = response.json()
    assert set(status) == set(body)
    assert [agent["agent_id"] for agent in status["agents"]] == [agent["agent_id"] for agent in body["agents"]]
    assert {agent["agent_id"] for agent in status["agents"]} == {agent.pk for agent in agents}
    for pushed, served in zip(status["agents"], body["agents"]):
        assert {key: value for key, value in pushed.items() if key != "memory_usage"} == {
            key: value for key, value in served.items() if key != "memory_usage"
        }
    assert status["collaboration_metrics"] == body["collaboration_metrics"]
    assert state["queue"]["data"] == {"queued": 0, "running": 0}
    process = state["process"]["data"]
    assert process["pid"] == os.getpid()
    assert process["rss_bytes"] > 0
    assert process["cpu_percent"] >= 0
    assert all(set(message) == {"type", "data", "timestamp"} for message in state.values())


async def test_job_start_and_finish_pushed_while_ping_answered(asgi_application, owner):
    client = await open_socket(asgi_application, owner)
    await initial_state(client)

    story_id = await database_sync_to_async(start_story)(owner)
    await client.send_json_to({"type": "ping", "data": {"probe": "కథ"}})
    finished, before = await receive_until(client, "job_finished", timeout=STORY_TIMEOUT)
    await client.disconnect()

    types = [message["type"] for message in before]
    assert "pong" in types, types
    pong = before[types.index("pong")]
    assert pong["data"] == {"probe": "కథ"}
    started = before[types.index("job_started")]
    assert started["data"] == {
        "job": "generation",
        "story_id": story_id,
        "attempt": 1,
        "queue": {"queued": 0, "running": 1},
    }
    assert finished["data"]["story_id"] == story_id
    assert finished["data"]["status"] == StoryStatus.COMPLETED
    assert finished["data"]["seconds"] > 0
    assert finished["data"]["queue"] == {"queued": 0, "running": 0}


async def test_unsubscribed_socket_gets_no_job_messages(asgi_application, owner, other):
    watcher = await open_socket(asgi_application, owner)
    quiet = await open_socket(asgi_application, other)
    await initial_state(watcher)
    await initial_state(quiet)

    await quiet.send_json_to({"type": "unsubscribe", "topics": ["jobs"]})
    reply = await quiet.receive_json_from(timeout=30)
    assert reply["type"] == "subscriptions"
    assert reply["data"] == {"topics": ["agents", "process", "queue"]}

    story_id = await database_sync_to_async(start_story)(owner)
    finished, _ = await receive_until(watcher, "job_finished", timeout=STORY_TIMEOUT)
    assert finished["data"]["story_id"] == story_id
    await quiet.send_json_to({"type": "ping"})
    _, before_pong = await receive_until(quiet, "pong", timeout=30)
    await watcher.disconnect()
    await quiet.disconnect()

    assert not [message for message in before_pong if message["type"].startswith("job_")]


async def test_subscribe_sends_current_state_again(asgi_application, owner, agents):
    client = await open_socket(asgi_application, owner)
    await initial_state(client)

    await client.send_json_to({"type": "unsubscribe", "topics": ["agents", "process"]})
    unsubscribed = await client.receive_json_from(timeout=30)
    await client.send_json_to({"type": "subscribe", "topics": ["agents"]})
    subscribed, _ = await receive_until(client, "subscriptions", timeout=30)
    status, _ = await receive_until(client, "agent_status", timeout=30)
    await client.disconnect()

    assert unsubscribed["data"] == {"topics": ["jobs", "queue"]}
    assert subscribed["data"] == {"topics": ["agents", "jobs", "queue"]}
    assert len(status["data"]["agents"]) == len(agents)


async def test_invalid_messages_get_errors_and_socket_stays_open(asgi_application, owner):
    client = await open_socket(asgi_application, owner)
    await initial_state(client)

    requests = [
        {"type": "dance"},
        {"type": "subscribe", "topics": ["agents", "weather"]},
        {"type": "subscribe"},
        {"topics": ["jobs"]},
    ]
    errors = []
    for request in requests:
        await client.send_json_to(request)
        error, _ = await receive_until(client, "error", timeout=30)
        errors.append(error)
    await client.send_json_to({"type": "ping"})
    pong, _ = await receive_until(client, "pong", timeout=30)
    await client.disconnect()

    assert [error["message"] for error in errors] == ["Invalid request"] * 4
    assert set(errors[0]["details"]) == {"type"}
    assert set(errors[1]["details"]) == {"topics.1"}
    assert set(errors[2]["details"]) == {"topics"}
    assert set(errors[3]["details"]) == {"type"}
    assert pong["data"] == {}


def test_queue_depth_counts_queued_and_running_stories(owner):
    for status in (StoryStatus.QUEUED, StoryStatus.QUEUED, StoryStatus.RUNNING, StoryStatus.COMPLETED):
        make_story(owner, status=status)

    assert queue_depth() == {"queued": 2, "running": 1}


def test_process_sampler_measures_cpu_time_of_this_process():
    sampler = ProcessSampler()
    before = psutil.Process().cpu_times()
    total = 0
    while psutil.Process().cpu_times().user - before.user < 0.05:
        total += sum(range(10_000))

    sample = sampler.sample()

    assert total > 0
    assert sample["pid"] == os.getpid()
    assert sample["cpu_percent"] > 0
    assert sample["rss_bytes"] > 0
