"""The generation job: idempotent, resumable from its checkpoint, failing with a reason."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from agents.models import AgentRun
from agents.pipeline.prose import PROSE_SCRIPT, SENTENCE_ENDS
from agents.runtime import Completion, CompletionRequest, ModelRuntime, ModelUnavailable, get_runtime
from analysis.text import word_count
from stories.jobs import HEARTBEAT_SECONDS, MAX_ATTEMPTS, StoryListener, run_generation, stale_job_cutoff
from stories.models import Story, StoryStatus

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"

pytestmark = pytest.mark.django_db(transaction=True)


def make_story(owner, **fields) -> Story:
    values = {"prompt": PROMPT, "target_length": 100, "cultural_context": "rural", "advanced_options": {"seed": 3}}
    values.update(fields)
    return Story.objects.create(owner=owner, **values)


def make_stale(story: Story) -> None:
    """Date the story's last progress back past the stale-job limit, as a dead worker leaves it."""
    idle = timedelta(seconds=settings.STORYENGINE_STALE_JOB_SECONDS + 60)
    Story.objects.filter(pk=story.pk).update(updated_at=timezone.now() - idle)


def test_job_leaves_finished_story_alone(owner):
    story = make_story(owner, status=StoryStatus.COMPLETED, content="ముగిసిన కథ.")

    run_generation(str(story.pk))

    story.refresh_from_db()
    assert story.content == "ముగిసిన కథ."
    assert story.attempts == 0
    assert AgentRun.objects.count() == 0


def test_job_ignores_missing_story():
    run_generation("00000000-0000-4000-8000-000000000000")

    assert AgentRun.objects.count() == 0


def test_job_resumes_running_story_from_checkpoint(owner):
    first = make_story(owner)
    run_generation(str(first.pk))
    first.refresh_from_db()
    paragraphs = first.content.split("\n\n")
    saved = "\n\n".join(paragraphs[:2])
    interrupted = make_story(
        owner, status=StoryStatus.RUNNING, attempts=1, plan=first.plan, title=first.title, content=saved
    )
    make_stale(interrupted)

    run_generation(str(interrupted.pk))

    interrupted.refresh_from_db()
    assert interrupted.status == StoryStatus.COMPLETED
    assert interrupted.content.startswith(saved + "\n\n")
    assert interrupted.title == first.title
    assert interrupted.attempts == 2
    assert interrupted.metadata["resumed"] is True
    assert word_count(interrupted.content) >= 100
    roles = list(AgentRun.objects.filter(story=interrupted).values_list("agent_id", flat=True))
    assert roles == ["writer", "emotion", "editor"]


def test_resumed_job_closes_unfinished_sentence(owner):
    first = make_story(owner, target_length=40)
    run_generation(str(first.pk))
    first.refresh_from_db()
    opening_paragraph = first.content.split("\n\n")[0]
    cue_end = opening_paragraph.index(".") + 1
    # The cue and two words of the model's first sentence, as a worker killed mid-sentence leaves them.
    saved = opening_paragraph[:cue_end] + " ".join(opening_paragraph[cue_end:].split(" ")[:3])
    assert not saved.endswith(SENTENCE_ENDS)
    interrupted = make_story(
        owner,
        target_length=40,
        status=StoryStatus.RUNNING,
        attempts=1,
        plan=first.plan,
        title=first.title,
        content=saved,
    )
    make_stale(interrupted)

    run_generation(str(interrupted.pk))

    interrupted.refresh_from_db()
    assert interrupted.status == StoryStatus.COMPLETED
    assert interrupted.content.startswith(saved)
    resumed_paragraph = interrupted.content.split("\n\n")[0]
    assert resumed_paragraph.startswith(saved)
    assert resumed_paragraph.endswith(SENTENCE_ENDS)
    assert len(resumed_paragraph) > len(saved) + 1


def test_resumed_generation_time_from_first_attempt(owner):
    first_attempt = timezone.now() - timedelta(minutes=4)
    interrupted = make_story(
        owner, target_length=40, status=StoryStatus.RUNNING, attempts=1, started_at=first_attempt
    )
    make_stale(interrupted)

    run_generation(str(interrupted.pk))

    interrupted.refresh_from_db()
    assert interrupted.status == StoryStatus.COMPLETED
    assert interrupted.started_at == first_attempt
    assert interrupted.generation_time >= 240
    assert interrupted.generation_time < (timezone.now() - first_attempt).total_seconds() + 1


def test_listener_heartbeat_touches_running_story(owner, monkeypatch):
    story = make_story(owner, status=StoryStatus.RUNNING, attempts=1)
    make_stale(story)
    listener = StoryListener(str(story.pk))
    started = time.monotonic()

    monkeypatch.setattr(time, "monotonic", lambda: started + 1)
    listener.should_stop()
    quiet = Story.objects.get(pk=story.pk).updated_at
    monkeypatch.setattr(time, "monotonic", lambda: started + HEARTBEAT_SECONDS + 1)
    listener.should_stop()
    touched = Story.objects.get(pk=story.pk).updated_at

    assert quiet < stale_job_cutoff()
    assert touched > stale_job_cutoff()


def test_writer_reuses_planner_prompt_tokens(owner, monkeypatch):
    calls: list[tuple[CompletionRequest, Completion]] = []
    complete = ModelRuntime.complete

    def recording_complete(self, request, *args, **kwargs):
        completion = complete(self, request, *args, **kwargs)
        calls.append((request, completion))
        return completion

    monkeypatch.setattr(ModelRuntime, "complete", recording_complete)
    get_runtime().clear_prompt_cache()
    story = make_story(owner, target_length=40)

    run_generation(str(story.pk))

    planner_request, _ = calls[0]
    writer_request, writer_completion = calls[1]
    assert planner_request.grammar is not None
    assert writer_request.script == PROSE_SCRIPT
    # Both prompts open with the setting line, whose tokens the planner's call left in the context.
    assert writer_completion.cached_prompt_tokens >= 10


def test_job_fails_story_after_attempt_cap(owner):
    story = make_story(owner, status=StoryStatus.RUNNING, attempts=MAX_ATTEMPTS)
    make_stale(story)

    run_generation(str(story.pk))

    story.refresh_from_db()
    assert story.status == StoryStatus.FAILED
    assert f"{MAX_ATTEMPTS} interrupted attempts" in story.error
    assert story.finished_at is not None


def test_job_marks_story_failed_when_model_disappears(owner, monkeypatch):
    # The real model cannot be made to vanish mid-job on demand, so the loader fails here.
    def unavailable(*args, **kwargs):
        raise ModelUnavailable("The model file /models/gone.gguf is missing.")

    monkeypatch.setattr("agents.pipeline.orchestrator.get_runtime", unavailable)
    story = make_story(owner)

    run_generation(str(story.pk))

    story.refresh_from_db()
    assert story.status == StoryStatus.FAILED
    assert story.error == "The model file /models/gone.gguf is missing."


def test_failed_story_shows_reason_over_api(owner, owner_client):
    story = make_story(owner, status=StoryStatus.FAILED, error="The model file /models/gone.gguf is missing.")

    body = owner_client.get(f"/api/v2/stories/{story.pk}").json()

    assert body["status"] == "failed"
    assert body["error"] == "The model file /models/gone.gguf is missing."
