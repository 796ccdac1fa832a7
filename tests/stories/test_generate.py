"""POST /api/v2/stories/generate and GET /api/v2/stories/{id} with the real model."""

from __future__ import annotations

import pytest
from django.db import transaction

from agents.models import AgentRun
from analysis import culture, rasa
from analysis.text import telugu_letter_share, word_count
from storyengine.jobs import wait_for_embedded_jobs
from stories import services
from stories.models import Story, StoryStatus

URL = "/api/v2/stories/generate"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
PIPELINE_ROLES = ["planner", "cultural", "writer", "emotion", "editor"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def drain_jobs():
    yield
    wait_for_embedded_jobs(timeout=600)


@pytest.mark.smoke
@pytest.mark.slow
def test_generate_writes_measured_telugu_story(owner_client, settings):
    settings.STORYENGINE_MAX_TOKENS_CAP = None
    payload = {"prompt": PROMPT, "length": 100, "emotion_focus": ["karuna"], "cultural_context": "rural"}

    response = owner_client.post(URL, payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    story = Story.objects.get(pk=body["story_id"])
    assert story.status == StoryStatus.COMPLETED
    assert body["content"] == story.content
    assert telugu_letter_share(body["content"]) >= 0.9
    assert 80 <= word_count(body["content"]) <= 130
    assert body["metadata"]["word_count"] == word_count(body["content"])
    assert body["metadata"]["title"] == story.title != ""
    assert 0.0 <= body["quality_score"] <= 1.0
    assert set(body["metadata"]["quality_components"]) == {
        "telugu_script",
        "distinct_2",
        "length_fit",
        "fluency",
        "emotion_match",
    }
    expected_scores = rasa.analyze_emotions(story.content).scores
    assert {item["emotion"]: item["score"] for item in body["emotions"]} == {
        name: round(score, 4) for name, score in expected_scores.items()
    }
    detected_ids = [element.id for element in culture.detect_elements(story.content)]
    assert [element["id"] for element in body["cultural_elements"]] == detected_ids
    runs = list(AgentRun.objects.filter(story=story).order_by("started_at"))
    assert [run.agent_id for run in runs] == PIPELINE_ROLES
    assert set(body["agent_contributions"]) == set(PIPELINE_ROLES)
    writer = next(run for run in runs if run.agent_id == "writer")
    assert writer.completion_tokens > 0
    assert body["agent_contributions"]["writer"]["tokens"] == writer.prompt_tokens + writer.completion_tokens


def test_generate_answers_202_with_location_past_sync_timeout(owner_client, settings):
    settings.STORYENGINE_SYNC_TIMEOUT = 0

    response = owner_client.post(URL, {"prompt": PROMPT, "length": 100}, format="json")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] in {"queued", "running"}
    assert response["Location"] == f"/api/v2/stories/{body['story_id']}"
    wait_for_embedded_jobs(timeout=600)
    assert Story.objects.get(pk=body["story_id"]).status == StoryStatus.COMPLETED


def test_generate_answers_503_when_model_file_is_missing(owner_client, settings, tmp_path):
    settings.STORYENGINE_MODEL_PATH = str(tmp_path / "missing.gguf")

    response = owner_client.post(URL, {"prompt": PROMPT, "length": 100}, format="json")

    assert response.status_code == 503
    assert "missing.gguf" in response.json()["error"]["message"]
    assert response["Retry-After"]
    assert Story.objects.count() == 0


def test_rollback_dispatches_no_job(owner):
    params = services.GenerationParams(prompt=PROMPT, story_type="short_story", cultural_context="rural", target_length=100)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.start_generation(owner, params)
        raise RuntimeError("rolled back on purpose")
    wait_for_embedded_jobs(timeout=60)

    assert Story.objects.count() == 0
    assert AgentRun.objects.count() == 0


def test_get_story_returns_owners_story_with_request_fields(owner, owner_client):
    story = Story.objects.create(owner=owner, prompt=PROMPT, target_length=150, status=StoryStatus.COMPLETED, content="కథ")

    response = owner_client.get(f"/api/v2/stories/{story.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["story_id"] == str(story.pk)
    assert body["prompt"] == PROMPT
    assert body["is_public"] is False
    assert body["version"] == 1


def test_other_users_private_story_is_403(owner, other_client):
    story = Story.objects.create(owner=owner, prompt=PROMPT, target_length=150)

    response = other_client.get(f"/api/v2/stories/{story.pk}")

    assert response.status_code == 403
    assert response.json()["error"]["path"] == f"/api/v2/stories/{story.pk}"


def test_get_story_lets_other_user_read_public_story(owner, other_client):
    story = Story.objects.create(owner=owner, prompt=PROMPT, target_length=150, is_public=True)

    response = other_client.get(f"/api/v2/stories/{story.pk}")

    assert response.status_code == 200
    assert response.json()["story_id"] == str(story.pk)


def test_get_story_answers_404_for_unknown_id(owner_client):
    response = owner_client.get("/api/v2/stories/00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Story not found."


def test_get_story_answers_404_envelope_for_malformed_id(owner_client):
    response = owner_client.get("/api/v2/stories/not-a-uuid")

    assert response.status_code == 404
    assert response.json()["error"]["path"] == "/api/v2/stories/not-a-uuid"
