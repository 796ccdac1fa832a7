"""Jobs on real Celery workers survive a killed worker: resumed from the checkpoint, or failed with a reason."""

from __future__ import annotations

import pytest

from agents.models import AgentRun
from analysis.text import word_count
from storyengine.jobs import submit_now
from stories import services
from stories.jobs import MAX_ATTEMPTS
from stories.models import Story, StoryEvent, StoryStatus
from stories.recovery import find_stale_jobs
from stories.tasks import generate_story
from tests.workers.conftest import wait_for, wait_until_finished, wait_until_writing

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
PARAMS = services.GenerationParams(
    prompt=PROMPT, story_type="folk_tale", cultural_context="rural", target_length=100, advanced_options={"seed": 11}
)

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def test_worker_writes_story_sent_through_broker(owner, owner_client, start_worker, settings):
    worker = start_worker()
    settings.STORYENGINE_SYNC_TIMEOUT = 600

    response = owner_client.post(
        "/api/v2/stories/generate", {"prompt": PROMPT, "length": 100, "cultural_context": "rural"}, format="json"
    )

    assert response.status_code == 201, response.content
    story = Story.objects.get(pk=response.json()["story_id"])
    assert story.status == StoryStatus.COMPLETED
    assert story.attempts == 1
    assert word_count(story.content) >= 100
    assert response.json()["content"] == story.content
    assert AgentRun.objects.filter(story=story).count() == 5
    assert f"Story {story.pk}: job started (attempt 1)" in worker.log()


def test_killed_pool_process_story_resumes(owner, start_worker):
    worker = start_worker()
    story = services.start_generation(owner, PARAMS)
    saved = wait_until_writing(story.pk).content

    worker.kill_pool_processes()
    story = wait_until_finished(story.pk)

    assert story.status == StoryStatus.COMPLETED, story.error
    assert story.attempts == 2
    assert story.metadata["resumed"] is True
    assert story.content.startswith(saved)
    assert word_count(story.content) >= 100
    assert worker.log_count(f"Story {story.pk}: its previous job died") == 1
    deltas = StoryEvent.objects.filter(story=story, type="text_delta").order_by("seq").values_list("data", flat=True)
    assert "".join(delta["text"] for delta in deltas) == story.content


def test_killed_worker_story_is_resumed_by_another(owner, start_worker, settings):
    first = start_worker()
    story = services.start_generation(owner, PARAMS)
    saved = wait_until_writing(story.pk).content

    first.kill()
    second = start_worker()
    settings.STORYENGINE_STALE_JOB_SECONDS = 1
    # Redis keeps the dead worker's message unacknowledged for hours, so only
    # the stale-job finder brings the story back once it goes untouched.
    report = wait_for(lambda: find_stale_jobs().requeued, 30, "the story to go stale")
    story = wait_until_finished(story.pk)

    assert report == [str(story.pk)]
    assert story.status == StoryStatus.COMPLETED, story.error
    assert story.attempts == 2
    assert story.content.startswith(saved)
    assert f"Story {story.pk}: job started (attempt 2, resuming)" in second.log()


def test_story_killed_on_last_attempt_fails_with_reason(owner, start_worker):
    worker = start_worker()
    # Earlier attempts died already; this worker's job is the last one allowed.
    story = Story.objects.create(
        owner=owner, prompt=PROMPT, target_length=100, attempts=MAX_ATTEMPTS - 1, advanced_options={"seed": 11}
    )
    submit_now(generate_story, str(story.pk))
    wait_until_writing(story.pk)

    worker.kill_pool_processes()
    story = wait_until_finished(story.pk)

    assert story.status == StoryStatus.FAILED
    assert story.error == f"Generation stopped after {MAX_ATTEMPTS} interrupted attempts. Try again."
    assert story.attempts == MAX_ATTEMPTS
    failed = StoryEvent.objects.filter(story=story, type="failed").get()
    assert failed.data == {"error": story.error}
