"""POST /api/v2/stories/{id}/cancel: the job stops, a cancelled event is published, the model is freed."""

from __future__ import annotations

import dataclasses
import time

import pytest

from agents.models import AgentRun, AgentRunOutcome
from storyengine.jobs import wait_for_embedded_jobs
from stories import events, services
from stories.jobs import run_generation
from stories.models import Story, StoryEvent, StoryStatus
from stories.refinement import run_refinement_job
from tests.stories.support import assert_error, make_story

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
# Seconds to wait for the writer to start, or for jobs to drain; a bound on a hang, not a measurement.
JOB_TIMEOUT = 600
POLL_SECONDS = 0.1

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def drain_jobs():
    yield
    wait_for_embedded_jobs(timeout=JOB_TIMEOUT)


def cancel_url(story) -> str:
    return f"/api/v2/stories/{story.pk}/cancel"


def wait_for_writer_text(story_id) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT
    while not StoryEvent.objects.filter(story_id=story_id, type=events.TEXT_DELTA).exists():
        assert time.monotonic() < deadline, "the writer streamed no text in time"
        time.sleep(POLL_SECONDS)


def test_cancel_stops_running_job_and_frees_model(owner, owner_client):
    params = services.GenerationParams(
        prompt=PROMPT, story_type="short_story", cultural_context="rural", target_length=1000
    )
    story = services.start_generation(owner, params)
    wait_for_writer_text(story.pk)

    response = owner_client.post(cancel_url(story))
    wait_for_embedded_jobs(timeout=JOB_TIMEOUT)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == StoryStatus.CANCELLED
    story.refresh_from_db()
    assert story.status == StoryStatus.CANCELLED
    assert story.error == services.CANCELLED_BY_OWNER
    rows = list(StoryEvent.objects.filter(story=story).order_by("seq"))
    assert rows[-1].type == events.CANCELLED
    assert rows[-1].data == {"reason": services.CANCELLED_BY_OWNER}
    assert [row.seq for row in rows] == list(range(1, story.event_seq + 1))
    assert "".join(row.data["text"] for row in rows if row.type == events.TEXT_DELTA) == story.content
    writer = AgentRun.objects.get(story=story, agent_id="writer")
    assert writer.outcome == AgentRunOutcome.CANCELLED

    # The model is free: the next job runs to the end.
    following = services.start_generation(owner, dataclasses.replace(params, target_length=30))
    wait_for_embedded_jobs(timeout=JOB_TIMEOUT)
    following.refresh_from_db()
    assert following.status == StoryStatus.COMPLETED


def test_cancel_queued_story_keeps_job_from_running(owner, owner_client):
    story = make_story(owner, status=StoryStatus.QUEUED, content="")

    response = owner_client.post(cancel_url(story))
    run_generation(str(story.pk))

    assert response.status_code == 200
    story.refresh_from_db()
    assert story.status == StoryStatus.CANCELLED
    assert story.attempts == 0
    assert list(StoryEvent.objects.filter(story=story).values_list("type", flat=True)) == [events.CANCELLED]


def test_cancel_queued_refinement_keeps_current_version(owner, owner_client):
    story = make_story(owner, status=StoryStatus.QUEUED, version=1)
    Story.objects.filter(pk=story.pk).update(
        pending_refinement={
            "refinement_type": "plot_improvement",
            "improvements": ["కథనం"],
            "preserve_elements": [],
            "parameters": {},
            "from_version": 1,
        }
    )

    response = owner_client.post(cancel_url(story))
    run_refinement_job(str(story.pk))

    assert response.status_code == 200
    story.refresh_from_db()
    assert story.status == StoryStatus.COMPLETED
    assert story.version == 1
    assert story.pending_refinement == {}
    assert story.error == services.REFINEMENT_CANCELLED
    assert not AgentRun.objects.filter(story=story).exists()
    assert list(StoryEvent.objects.filter(story=story).values_list("type", flat=True)) == [events.CANCELLED]


@pytest.mark.parametrize("status", [StoryStatus.COMPLETED, StoryStatus.FAILED, StoryStatus.CANCELLED])
def test_cancel_finished_story_is_409(owner, owner_client, status):
    story = make_story(owner, status=status)

    response = owner_client.post(cancel_url(story))

    assert_error(response, 409, cancel_url(story))
    story.refresh_from_db()
    assert story.status == status
    assert not StoryEvent.objects.filter(story=story).exists()


@pytest.mark.parametrize("is_public", [False, True])
def test_cancel_other_users_story_is_404(owner, other_client, is_public):
    story = make_story(owner, status=StoryStatus.RUNNING, is_public=is_public)

    response = other_client.post(cancel_url(story))

    assert_error(response, 404, cancel_url(story))
    story.refresh_from_db()
    assert story.status == StoryStatus.RUNNING


def test_cancel_unknown_story_is_404(owner_client):
    path = "/api/v2/stories/00000000-0000-4000-8000-000000000000/cancel"

    response = owner_client.post(path)

    assert_error(response, 404, path)


def test_cancel_requires_authentication(owner, anonymous_client):
    story = make_story(owner, status=StoryStatus.RUNNING)

    response = anonymous_client.post(cancel_url(story))

    assert_error(response, 401, cancel_url(story))
