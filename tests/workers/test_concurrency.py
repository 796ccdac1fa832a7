"""Concurrent generation requests on one model, and the bounded job queue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from agents.models import AgentRun
from stories import services
from stories.models import Story, StoryStatus
from tests.conftest import bearer_client
from tests.workers.conftest import JOB_TIMEOUT, wait_until_finished

URL = "/api/v2/stories/generate"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
ENVELOPE_KEYS = {"message", "details", "timestamp", "path"}

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def post_generation(user, seed: int):
    """POST one generation request from a thread of its own, as a separate client would."""
    try:
        payload = {"prompt": PROMPT, "length": 100, "cultural_context": "rural", "advanced_options": {"seed": seed}}
        return bearer_client(user).post(URL, payload, format="json")
    finally:
        connections.close_all()


def test_concurrent_requests_take_turns_on_one_model(owner, start_worker, settings):
    worker = start_worker()
    settings.STORYENGINE_SYNC_TIMEOUT = 600
    params = services.GenerationParams(prompt=PROMPT, story_type="moral_story", cultural_context="rural", target_length=100)

    with ThreadPoolExecutor(max_workers=3) as pool:
        requests = [pool.submit(post_generation, owner, seed) for seed in (1, 2, 3)]
        direct = services.start_generation(owner, params)
        responses = [request.result() for request in requests]

    for response in responses:
        assert response.status_code in (201, 202), response.content
    # A request whose story outlasts the sync timeout gets 202, and its story finishes later.
    story_ids = [response.json()["story_id"] for response in responses] + [direct.pk]
    stories = [wait_until_finished(story_id, timeout=len(story_ids) * JOB_TIMEOUT) for story_id in story_ids]
    assert Story.objects.count() == 4
    assert [story.status for story in stories] == [StoryStatus.COMPLETED] * 4
    # One model context serves one job at a time: the agent runs of different
    # stories never overlap.
    spans = sorted(
        (min(run.started_at for run in runs), max(run.finished_at for run in runs))
        for runs in (list(AgentRun.objects.filter(story=story)) for story in stories)
    )
    for (_, earlier_end), (later_start, _) in zip(spans, spans[1:]):
        assert later_start >= earlier_end
    assert worker.log_count("Loaded model") == 1


def test_full_queue_answers_503_with_retry_after(owner, owner_client, distributed, settings):
    settings.STORYENGINE_MAX_QUEUED_JOBS = 2
    settings.STORYENGINE_SYNC_TIMEOUT = 0
    payload = {"prompt": PROMPT, "length": 100}

    accepted = [owner_client.post(URL, payload, format="json") for _ in range(2)]
    rejected = owner_client.post(URL, payload, format="json")

    assert [response.status_code for response in accepted] == [202, 202]
    assert rejected.status_code == 503
    assert rejected["Retry-After"] == str(services.QUEUE_FULL_DEFAULT_RETRY_AFTER)
    error = rejected.json()["error"]
    assert set(error) == ENVELOPE_KEYS
    assert error["message"].startswith("The story queue is full: 2 stories are waiting")
    assert Story.objects.count() == 2


def test_full_queue_retry_after_averages_jobs(owner, owner_client, distributed, settings):
    settings.STORYENGINE_MAX_QUEUED_JOBS = 1
    for seconds in (10.0, 21.0):
        Story.objects.create(
            owner=owner, prompt=PROMPT, target_length=100, status=StoryStatus.COMPLETED, generation_time=seconds
        )
    Story.objects.create(owner=owner, prompt=PROMPT, target_length=100)

    response = owner_client.post(URL, {"prompt": PROMPT, "length": 100}, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "16"


def test_queue_bound_holds_for_simultaneous_requests(owner, distributed, settings):
    settings.STORYENGINE_MAX_QUEUED_JOBS = 2
    settings.STORYENGINE_SYNC_TIMEOUT = 0

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda seed: post_generation(owner, seed), range(4)))

    codes = sorted(response.status_code for response in responses)
    assert codes == [202, 202, 503, 503]
    assert Story.objects.filter(status=StoryStatus.QUEUED).count() == 2


def test_full_queue_rejects_command_line_generation(owner, distributed, settings):
    settings.STORYENGINE_MAX_QUEUED_JOBS = 1
    Story.objects.create(owner=owner, prompt=PROMPT, target_length=100)

    with pytest.raises(CommandError, match="The story queue is full"):
        call_command("generate_story", "--prompt", PROMPT, "--length", "100", "--user", owner.email)

    assert Story.objects.count() == 1
