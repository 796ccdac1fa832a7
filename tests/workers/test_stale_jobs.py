"""The stale-job finder, the event pruning that beat runs, and how a job claims its story.

The finder's dispatches are read back from the broker's ``generation`` queue;
no worker runs, so every message stays there.
"""

from __future__ import annotations

import ast
import json
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from agents.models import AgentRun
from stories.jobs import MAX_ATTEMPTS, run_generation
from stories.models import Story, StoryEvent, StoryStatus
from stories.recovery import find_stale_jobs, prune_story_events

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
REFINEMENT = {"refinement_type": "language_polishing", "improvements": ["సరళమైన భాష"], "from_version": 1}

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def make_story(owner, idle_seconds: float = 0, **fields) -> Story:
    """Create a story whose last touch (``updated_at``) was ``idle_seconds`` ago."""
    values = {"prompt": PROMPT, "target_length": 100, "cultural_context": "rural", "advanced_options": {"seed": 5}}
    values.update(fields)
    story = Story.objects.create(owner=owner, **values)
    Story.objects.filter(pk=story.pk).update(updated_at=timezone.now() - timedelta(seconds=idle_seconds))
    story.refresh_from_db()
    return story


def broker_messages(settings) -> list[tuple[str, tuple]]:
    """Return (task name, args) of each message waiting in the ``generation`` queue, oldest first."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        raw = client.lrange("generation", 0, -1)
    finally:
        client.close()
    # kombu pushes new messages on the left.
    messages = [json.loads(item)["headers"] for item in reversed(raw)]
    return [(headers["task"], ast.literal_eval(headers["argsrepr"])) for headers in messages]


def test_finder_requeues_stale_running_story(owner, distributed, settings):
    story = make_story(owner, idle_seconds=settings.STORYENGINE_STALE_JOB_SECONDS + 5, status="running", attempts=1)

    report = find_stale_jobs()

    assert report.requeued == [str(story.pk)]
    story.refresh_from_db()
    assert story.status == StoryStatus.QUEUED
    assert story.attempts == 1
    assert broker_messages(settings) == [("stories.tasks.generate_story", (str(story.pk),))]


def test_finder_leaves_running_story_with_recent_progress(owner, distributed, settings):
    story = make_story(owner, idle_seconds=settings.STORYENGINE_STALE_JOB_SECONDS - 30, status="running", attempts=1)

    report = find_stale_jobs()

    assert report.as_dict() == {"requeued": [], "redispatched": [], "failed": []}
    story.refresh_from_db()
    assert story.status == StoryStatus.RUNNING
    assert broker_messages(settings) == []


def test_finder_fails_stale_story_out_of_attempts(owner, distributed, settings):
    story = make_story(
        owner, idle_seconds=settings.STORYENGINE_STALE_JOB_SECONDS + 5, status="running", attempts=MAX_ATTEMPTS
    )

    report = find_stale_jobs()

    assert report.failed == [str(story.pk)]
    story.refresh_from_db()
    assert story.status == StoryStatus.FAILED
    assert story.error.startswith(f"Generation stopped after {MAX_ATTEMPTS} interrupted attempts")
    assert story.finished_at is not None
    assert StoryEvent.objects.get(story=story, type="failed").data == {"error": story.error}
    assert broker_messages(settings) == []


def test_finder_sends_stale_refinement_to_refine_task(owner, distributed, settings):
    story = make_story(
        owner,
        idle_seconds=settings.STORYENGINE_STALE_JOB_SECONDS + 5,
        status="running",
        attempts=1,
        content="ఒక ఊరిలో సీత ఉండేది.",
        pending_refinement=REFINEMENT,
    )

    report = find_stale_jobs()

    assert report.requeued == [str(story.pk)]
    assert broker_messages(settings) == [("stories.tasks.refine_story", (str(story.pk),))]


def test_finder_dispatches_long_queued_story_once(owner, distributed, settings):
    story = make_story(owner, idle_seconds=settings.STORYENGINE_QUEUED_JOB_TIMEOUT + 5)

    first = find_stale_jobs()
    second = find_stale_jobs()

    assert first.redispatched == [str(story.pk)]
    assert second.redispatched == []
    story.refresh_from_db()
    assert story.status == StoryStatus.QUEUED
    assert timezone.now() - story.updated_at < timedelta(seconds=settings.STORYENGINE_QUEUED_JOB_TIMEOUT)
    assert broker_messages(settings) == [("stories.tasks.generate_story", (str(story.pk),))]


def test_finder_leaves_recently_queued_story(owner, distributed, settings):
    make_story(owner, idle_seconds=settings.STORYENGINE_QUEUED_JOB_TIMEOUT - 60)

    report = find_stale_jobs()

    assert report.redispatched == []
    assert broker_messages(settings) == []


def test_finder_ignores_finished_stories(owner, distributed, settings):
    idle = settings.STORYENGINE_QUEUED_JOB_TIMEOUT + settings.STORYENGINE_STALE_JOB_SECONDS
    for status in ("completed", "failed", "cancelled"):
        make_story(owner, idle_seconds=idle, status=status)

    report = find_stale_jobs()

    assert report.as_dict() == {"requeued": [], "redispatched": [], "failed": []}
    assert broker_messages(settings) == []


def test_prune_deletes_old_events_of_finished_stories_only(owner, settings):
    old = timezone.now() - timedelta(days=settings.STORYENGINE_EVENT_RETENTION_DAYS + 1)
    recent = timezone.now() - timedelta(days=settings.STORYENGINE_EVENT_RETENTION_DAYS - 1)
    finished = make_story(owner, status="completed")
    running = make_story(owner, status="running")
    StoryEvent.objects.create(story=finished, seq=1, type="stage_started", data={}, created_at=old)
    StoryEvent.objects.create(story=finished, seq=2, type="completed", data={}, created_at=recent)
    StoryEvent.objects.create(story=running, seq=1, type="stage_started", data={}, created_at=old)

    deleted = prune_story_events()

    assert deleted == 1
    assert list(StoryEvent.objects.filter(story=finished).values_list("seq", flat=True)) == [2]
    assert StoryEvent.objects.filter(story=running).count() == 1


def test_duplicate_job_leaves_story_of_live_job_alone(owner):
    story = make_story(owner, idle_seconds=1, status="running", attempts=1, content="ఒక ఊరిలో సీత ఉండేది.")

    run_generation(str(story.pk))

    story.refresh_from_db()
    assert story.status == StoryStatus.RUNNING
    assert story.attempts == 1
    assert story.content == "ఒక ఊరిలో సీత ఉండేది."
    assert AgentRun.objects.count() == 0


def test_generation_job_leaves_story_awaiting_refinement(owner):
    story = make_story(owner, status="queued", content="ఒక ఊరిలో సీత ఉండేది.", pending_refinement=REFINEMENT)

    run_generation(str(story.pk))

    story.refresh_from_db()
    assert story.status == StoryStatus.QUEUED
    assert story.attempts == 0
    assert story.content == "ఒక ఊరిలో సీత ఉండేది."
    assert AgentRun.objects.count() == 0
