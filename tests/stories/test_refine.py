"""POST /api/v2/stories/{id}/refine and the versions it leaves behind."""

from __future__ import annotations

import pytest

from agents.models import AgentRun
from storyengine.jobs import wait_for_embedded_jobs
from stories.models import Story, StoryStatus, StoryVersion

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
CONTENT = (
    "గోదావరి దగ్గర రాము అనే రైతు ఉండేవాడు. అతనికి ఒక చిన్న పొలం ఉండేది.\n\n"
    "ఒక రోజు వర్షం రాలేదు. పొలం ఎండిపోయింది. రాము చాలా బాధపడ్డాడు.\n\n"
    "అప్పుడు ఊరి ప్రజలు కలిసి కాలువ తవ్వారు. నీళ్ళు పొలానికి చేరాయి.\n\n"
    "చివరికి పంట పండింది. రాము కుటుంబం సంతోషంగా సంక్రాంతి పండుగ చేసుకుంది."
)


def url(story) -> str:
    return f"/api/v2/stories/{story.pk}/refine"


def completed_story(owner, **fields) -> Story:
    values = {
        "prompt": PROMPT,
        "target_length": 100,
        "cultural_context": "rural",
        "status": StoryStatus.COMPLETED,
        "title": "రాము కథ",
        "content": CONTENT,
        "word_count": 40,
        "advanced_options": {"seed": 5},
    }
    values.update(fields)
    story = Story.objects.create(owner=owner, **values)
    StoryVersion.snapshot(story).save()
    return story


@pytest.fixture(autouse=True)
def drain_jobs():
    yield
    wait_for_embedded_jobs(timeout=600)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"improvements": ["ఇంకా బాధ"]}, "type"),
        ({"type": "make_it_better", "improvements": ["ఇంకా బాధ"]}, "type"),
        ({"type": "emotion_enhancement"}, "improvements"),
        ({"type": "emotion_enhancement", "improvements": []}, "improvements"),
        ({"type": "emotion_enhancement", "improvements": "ఇంకా బాధ"}, "improvements"),
        ({"type": "emotion_enhancement", "improvements": ["ok", 5]}, "improvements.1"),
        ({"type": "emotion_enhancement", "improvements": ["ok"], "preserve_elements": "రాము"}, "preserve_elements"),
        ({"type": "emotion_enhancement", "improvements": ["ok"], "parameters": []}, "parameters"),
        ({"type": "emotion_enhancement", "improvements": ["ok"], "tone": "dark"}, "tone"),
    ],
)
def test_refine_rejects_invalid_field(owner, owner_client, payload, field):
    story = completed_story(owner)

    response = owner_client.post(url(story), payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    story.refresh_from_db()
    assert story.status == StoryStatus.COMPLETED
    assert story.pending_refinement == {}


@pytest.mark.django_db
def test_refine_answers_404_for_other_users_private_story(owner, other_client):
    story = completed_story(owner)

    response = other_client.post(url(story), {"type": "plot_improvement", "improvements": ["ok"]}, format="json")

    assert response.status_code == 404
    assert StoryVersion.objects.filter(story=story).count() == 1


@pytest.mark.django_db
def test_refine_answers_403_for_other_users_public_story(owner, other_client):
    story = completed_story(owner, is_public=True)

    response = other_client.post(url(story), {"type": "plot_improvement", "improvements": ["ok"]}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only the owner may refine this story."


@pytest.mark.django_db
def test_refine_answers_409_while_story_is_running(owner, owner_client):
    story = completed_story(owner, status=StoryStatus.RUNNING)

    response = owner_client.post(url(story), {"type": "plot_improvement", "improvements": ["ok"]}, format="json")

    assert response.status_code == 409
    assert "running" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_refine_requires_token(owner, anonymous_client):
    story = completed_story(owner)

    response = anonymous_client.post(url(story), {"type": "plot_improvement", "improvements": ["ok"]}, format="json")

    assert response.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_refine_twice_keeps_every_version_readable(owner, owner_client):
    story = completed_story(owner)

    first = owner_client.post(
        url(story),
        {"type": "emotion_enhancement", "improvements": ["రాము బాధను ఇంకా చూపించు"], "preserve_elements": ["సంక్రాంతి"]},
        format="json",
    )
    second = owner_client.post(
        url(story), {"type": "language_polishing", "improvements": ["వాక్యాలు సరిచేయి"]}, format="json"
    )

    assert first.status_code == 201, first.content
    assert second.status_code == 201, second.content
    assert first["Location"] == f"/api/v2/stories/{story.pk}/versions/2"
    assert second["Location"] == f"/api/v2/stories/{story.pk}/versions/3"
    story.refresh_from_db()
    assert story.version == 3
    assert story.status == StoryStatus.COMPLETED
    assert story.pending_refinement == {}
    assert second.json()["content"] == story.content
    original = owner_client.get(f"/api/v2/stories/{story.pk}/versions/1").json()
    refined = owner_client.get(f"/api/v2/stories/{story.pk}/versions/2").json()
    assert original["content"] == CONTENT
    assert "చివరికి పంట పండింది. రాము కుటుంబం సంతోషంగా సంక్రాంతి పండుగ చేసుకుంది." in refined["content"]
    assert refined["refinement_type"] == "emotion_enhancement"
    assert refined["improvements"] == ["రాము బాధను ఇంకా చూపించు"]
    assert refined["preserve_elements"] == ["సంక్రాంతి"]
    roles = list(AgentRun.objects.filter(story=story).values_list("agent_id", flat=True))
    assert roles.count("refiner") == 2
    assert set(second.json()["agent_contributions"]) == {"refiner", "emotion", "editor"}
    polish = AgentRun.objects.filter(story=story, agent_id="refiner").order_by("-started_at").first()
    assert second.json()["agent_contributions"]["refiner"]["seconds"] == round(polish.seconds, 3)


def test_version_without_sampled_tokens_keeps_previous_fluency():
    from agents.pipeline.types import PipelineResult
    from stories.refinement import _measured_quality

    result = PipelineResult(
        title="t",
        content="c",
        plan={},
        emotions=[],
        emotional_arc=[],
        cultural_elements=[],
        quality_score=0.9,
        quality_components={"telugu_script": 1.0, "distinct_2": 0.9, "length_fit": 0.8},
        word_count=1,
        model="m",
    )

    components, score = _measured_quality(result, {"fluency": 0.1, "telugu_script": 1.0})

    assert components["fluency"] == 0.1
    assert score < 0.9
