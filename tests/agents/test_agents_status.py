"""GET /api/v2/agents/status: agent states and figures measured from AgentRun rows."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents import metrics
from agents.models import Agent, AgentRun, AgentRunOutcome
from agents.runtime import CompletionRequest, get_runtime
from stories.models import Story
from tests.accounts.support import error_of

URL = "/api/v2/agents/status"
AGENT_KEYS = {
    "agent_id",
    "name",
    "type",
    "status",
    "current_task",
    "performance_score",
    "success_rate",
    "average_response_time",
    "memory_usage",
    "last_activity",
}
SEEDED_AGENTS = ["cultural", "editor", "emotion", "planner", "refiner", "writer"]
MODEL_ROLES = ["planner", "writer", "refiner"]

pytestmark = pytest.mark.django_db


def make_story(owner) -> Story:
    return Story.objects.create(owner=owner, prompt="ఒక చిన్న గ్రామంలో ఒక రైతు కథ", target_length=100)


def add_run(
    story: Story,
    agent_id: str,
    outcome: str,
    seconds: float,
    started_at: datetime,
    completion_tokens: int = 0,
) -> AgentRun:
    finished_at = None if outcome == AgentRunOutcome.RUNNING else started_at + timedelta(seconds=seconds)
    return AgentRun.objects.create(
        story=story,
        agent_id=agent_id,
        outcome=outcome,
        seconds=seconds,
        started_at=started_at,
        finished_at=finished_at,
        completion_tokens=completion_tokens,
    )


def agents_by_id(body: dict) -> dict[str, dict]:
    return {agent["agent_id"]: agent for agent in body["agents"]}


# Access and parameters


def test_status_rejects_anonymous(anonymous_client):
    error = error_of(anonymous_client.get(URL), 401)

    assert error["details"] == {}


@pytest.mark.parametrize("client_name", ["owner_client", "other_client", "staff_client"])
def test_status_answers_every_signed_in_user(request, client_name):
    response = request.getfixturevalue(client_name).get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"agents", "collaboration_metrics", "system_health", "performance_metrics", "last_updated"}
    assert [agent["agent_id"] for agent in body["agents"]] == SEEDED_AGENTS
    for agent in body["agents"]:
        assert set(agent) == AGENT_KEYS
    assert datetime.fromisoformat(body["last_updated"]).tzinfo is not None


def test_status_leaves_out_performance_metrics_on_request(owner_client):
    body = owner_client.get(URL, {"include_metrics": "false"}).json()

    assert "performance_metrics" not in body
    assert len(body["agents"]) == len(SEEDED_AGENTS)


def test_status_includes_performance_metrics_when_asked(owner_client):
    body = owner_client.get(URL, {"include_metrics": "true"}).json()

    performance = body["performance_metrics"]
    assert performance["window"] == {"latest_finished_runs_per_agent": 100, "recent_runs": 10}
    assert sorted(performance["agents"]) == SEEDED_AGENTS


@pytest.mark.parametrize("value", ["yes", "1", "True", ""])
def test_status_rejects_non_boolean_include_metrics(owner_client, value):
    error = error_of(owner_client.get(URL, {"include_metrics": value}), 400)

    assert list(error["details"]) == ["include_metrics"]
    assert "Expected true or false" in error["details"]["include_metrics"][0]


# Agents without runs


def test_agent_without_runs_reports_nulls(owner_client):
    writer = agents_by_id(owner_client.get(URL).json())["writer"]

    assert writer["name"] == "Writer"
    assert writer["type"] == "writer"
    assert writer["status"] == "idle"
    assert writer["current_task"] is None
    assert writer["success_rate"] is None
    assert writer["performance_score"] is None
    assert writer["average_response_time"] is None
    assert writer["last_activity"] is None


def test_disabled_agent_is_reported_disabled(owner_client):
    Agent.objects.filter(pk="planner").update(enabled=False)

    planner = agents_by_id(owner_client.get(URL).json())["planner"]

    assert planner["status"] == "disabled"
    assert planner["current_task"] is None


# Figures from runs


def test_success_rate_counts_fallbacks_and_skips_cancelled(owner_client, owner):
    story = make_story(owner)
    start = timezone.now() - timedelta(hours=1)
    add_run(story, "writer", AgentRunOutcome.SUCCEEDED, 10.0, start)
    add_run(story, "writer", AgentRunOutcome.FELL_BACK, 20.0, start + timedelta(minutes=1))
    add_run(story, "writer", AgentRunOutcome.FAILED, 30.0, start + timedelta(minutes=2))
    add_run(story, "writer", AgentRunOutcome.CANCELLED, 5.0, start + timedelta(minutes=3))

    body = owner_client.get(URL).json()

    writer = agents_by_id(body)["writer"]
    assert writer["success_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert writer["average_response_time"] == pytest.approx(20.0)
    # Median 20 s equals the recent mean 20 s, so speed_factor is 1.
    assert writer["performance_score"] == pytest.approx(2 / 3, abs=1e-4)
    figures = body["performance_metrics"]["agents"]["writer"]
    assert figures["runs"] == 3
    assert figures["succeeded"] == 1
    assert figures["fell_back"] == 1
    assert figures["failed"] == 1
    assert figures["median_seconds"] == pytest.approx(20.0)
    assert figures["speed_factor"] == pytest.approx(1.0)


def test_recent_slowdown_lowers_performance_score(owner_client, owner):
    story = make_story(owner)
    start = timezone.now() - timedelta(days=2)
    for index in range(20):
        seconds = 10.0 if index < 10 else 30.0
        add_run(story, "writer", AgentRunOutcome.SUCCEEDED, seconds, start + timedelta(minutes=index))

    body = owner_client.get(URL).json()

    writer = agents_by_id(body)["writer"]
    figures = body["performance_metrics"]["agents"]["writer"]
    assert figures["median_seconds"] == pytest.approx(20.0)
    assert figures["recent_mean_seconds"] == pytest.approx(30.0)
    assert figures["speed_factor"] == pytest.approx(20.0 / 30.0, abs=1e-4)
    assert figures["p95_seconds"] == pytest.approx(30.0)
    assert writer["success_rate"] == pytest.approx(1.0)
    assert writer["performance_score"] == pytest.approx(20.0 / 30.0, abs=1e-4)


def test_figures_cover_latest_hundred_finished_runs(owner_client, owner):
    story = make_story(owner)
    start = timezone.now() - timedelta(days=1)
    AgentRun.objects.bulk_create(
        AgentRun(
            story=story,
            agent_id="editor",
            outcome=AgentRunOutcome.FAILED if index < 5 else AgentRunOutcome.SUCCEEDED,
            seconds=1.0,
            started_at=start + timedelta(seconds=index),
            finished_at=start + timedelta(seconds=index + 1),
        )
        for index in range(105)
    )

    body = owner_client.get(URL).json()

    assert agents_by_id(body)["editor"]["success_rate"] == pytest.approx(1.0)
    assert body["performance_metrics"]["agents"]["editor"]["runs"] == 100
    assert body["performance_metrics"]["agents"]["editor"]["failed"] == 0


def test_tokens_per_second_covers_generating_runs(owner_client, owner):
    story = make_story(owner)
    start = timezone.now() - timedelta(minutes=30)
    add_run(story, "writer", AgentRunOutcome.SUCCEEDED, 4.0, start, completion_tokens=100)
    add_run(story, "writer", AgentRunOutcome.FELL_BACK, 1.0, start + timedelta(minutes=1), completion_tokens=0)

    figures = owner_client.get(URL).json()["performance_metrics"]["agents"]["writer"]

    assert figures["tokens_per_second"] == pytest.approx(25.0)


def test_last_activity_is_latest_end_or_start(owner_client, owner):
    story = make_story(owner)
    start = timezone.now() - timedelta(minutes=10)
    add_run(story, "writer", AgentRunOutcome.SUCCEEDED, 60.0, start)
    running = add_run(story, "writer", AgentRunOutcome.RUNNING, 0.0, start + timedelta(minutes=5))

    writer = agents_by_id(owner_client.get(URL).json())["writer"]

    assert datetime.fromisoformat(writer["last_activity"]) == running.started_at


def test_running_run_without_busy_model_is_idle(owner_client, owner):
    story = make_story(owner)
    add_run(story, "writer", AgentRunOutcome.RUNNING, 0.0, timezone.now())

    body = owner_client.get(URL).json()

    writer = agents_by_id(body)["writer"]
    assert writer["status"] == "idle"
    assert writer["current_task"] is None
    assert body["system_health"]["running_steps"] == 1


def test_collaboration_metrics_from_story_runs(owner_client, owner):
    start = timezone.now() - timedelta(hours=2)
    first, second = make_story(owner), make_story(owner)
    # First story: planner 2 s, a 1 s gap, writer 6 s, a 3 s gap, editor 2 s (fell back).
    add_run(first, "planner", AgentRunOutcome.SUCCEEDED, 2.0, start)
    add_run(first, "writer", AgentRunOutcome.SUCCEEDED, 6.0, start + timedelta(seconds=3))
    add_run(first, "editor", AgentRunOutcome.FELL_BACK, 2.0, start + timedelta(seconds=12))
    # Second story: planner 2 s, a 2 s gap, writer failed after 8 s.
    later = start + timedelta(minutes=10)
    add_run(second, "planner", AgentRunOutcome.SUCCEEDED, 2.0, later)
    add_run(second, "writer", AgentRunOutcome.FAILED, 8.0, later + timedelta(seconds=4))

    collaboration = owner_client.get(URL).json()["collaboration_metrics"]

    assert collaboration["window"] == {"latest_stories": 100}
    assert collaboration["stories"] == 2
    assert collaboration["mean_agents_per_story"] == pytest.approx(2.5)
    assert collaboration["mean_pipeline_seconds"] == pytest.approx(10.0)
    assert collaboration["median_handoff_seconds"] == pytest.approx(2.0)
    assert collaboration["fallback_rate"] == pytest.approx(0.2)
    assert collaboration["failure_rate"] == pytest.approx(0.2)
    assert collaboration["time_share"] == {
        "editor": pytest.approx(2 / 20, abs=1e-4),
        "planner": pytest.approx(4 / 20, abs=1e-4),
        "writer": pytest.approx(14 / 20, abs=1e-4),
    }


def test_collaboration_metrics_are_null_without_runs(owner_client):
    collaboration = owner_client.get(URL).json()["collaboration_metrics"]

    assert collaboration["stories"] == 0
    assert collaboration["mean_agents_per_story"] is None
    assert collaboration["mean_pipeline_seconds"] is None
    assert collaboration["median_handoff_seconds"] is None
    assert collaboration["fallback_rate"] is None
    assert collaboration["time_share"] == {}


def test_status_query_count_does_not_grow_with_runs(owner_client, owner):
    add_run(make_story(owner), "writer", AgentRunOutcome.SUCCEEDED, 1.0, timezone.now() - timedelta(hours=1))
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(URL).status_code == 200

    start = timezone.now() - timedelta(minutes=50)
    for story_index in range(5):
        story = make_story(owner)
        for role_index, role in enumerate(["planner", "cultural", "writer", "emotion", "editor"]):
            started_at = start + timedelta(minutes=story_index, seconds=role_index)
            add_run(story, role, AgentRunOutcome.SUCCEEDED, 1.0, started_at)
    with CaptureQueriesContext(connection) as many:
        assert owner_client.get(URL).status_code == 200

    assert len(many.captured_queries) == len(few.captured_queries)


# The model runtime


def test_system_health_describes_process_and_host(owner_client):
    health = owner_client.get(URL).json()["system_health"]

    assert health["ai_models"] == "healthy"
    assert health["process"]["rss_bytes"] > 0
    assert health["host"]["memory_total_bytes"] >= health["host"]["memory_available_bytes"] > 0
    assert health["host"]["cpu_count"] >= 1
    assert health["running_steps"] == 0


def test_memory_usage_is_shared_by_model_roles(owner_client):
    runtime = get_runtime()

    body = owner_client.get(URL).json()

    agents = agents_by_id(body)
    model_memory = {agents[role]["memory_usage"] for role in MODEL_ROLES}
    assert len(model_memory) == 1
    rss = model_memory.pop()
    assert rss == body["system_health"]["process"]["rss_bytes"]
    assert rss > 0
    for role in ["cultural", "emotion", "editor"]:
        assert agents[role]["memory_usage"] is None
    assert str(runtime.path) in [model["path"] for model in body["system_health"]["models"]]


def test_agent_is_busy_while_model_completes_its_step(owner_client, owner):
    story = make_story(owner)
    add_run(story, "writer", AgentRunOutcome.RUNNING, 0.0, timezone.now())
    runtime = get_runtime()
    first_text = threading.Event()
    release = threading.Event()

    def hold_model(text: str) -> None:
        # Blocking inside the streaming callback keeps the model's lock held.
        first_text.set()
        release.wait(timeout=120)

    request = CompletionRequest(prompt="ఒకప్పుడు ఒక చిన్న గ్రామంలో రాము అనే రైతు ఉండేవాడు. అతను", max_tokens=16)
    worker = threading.Thread(target=runtime.complete, args=(request,), kwargs={"on_text": hold_model})
    worker.start()
    try:
        assert first_text.wait(timeout=120), "the model streamed no text"
        body = owner_client.get(URL).json()
    finally:
        release.set()
        worker.join(timeout=120)

    agents = agents_by_id(body)
    assert agents["writer"]["status"] == "busy"
    assert agents["writer"]["current_task"] == str(story.pk)
    assert agents["planner"]["status"] == "idle"
    assert agents["planner"]["current_task"] is None
    assert any(model["busy"] for model in body["system_health"]["models"])


# Formulas without the database


def sample(outcome: str, seconds: float, completion_tokens: int = 0) -> metrics.RunSample:
    now = timezone.now()
    return metrics.RunSample("writer", "s", outcome, seconds, completion_tokens, now, now)


def test_figures_without_runs_are_none():
    figures = metrics.agent_figures([])

    assert figures.runs == 0
    assert figures.success_rate is None
    assert figures.performance_score is None
    assert figures.tokens_per_second is None


def test_zero_second_runs_have_full_speed():
    figures = metrics.agent_figures([sample(AgentRunOutcome.SUCCEEDED, 0.0) for _ in range(3)])

    assert figures.speed_factor == 1.0
    assert figures.performance_score == 1.0


def test_nearest_rank_percentile():
    values = [float(value) for value in range(1, 21)]

    assert metrics.nearest_rank(values, 0.95) == 19.0
    assert metrics.nearest_rank(values, 0.5) == 10.0
    assert metrics.nearest_rank([7.0], 0.95) == 7.0
