"""GET /api/v2/stories/{id}/versions and /versions/{number}: the saved texts of a story."""

from __future__ import annotations

import importlib
from datetime import datetime

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from storyengine.jobs import wait_for_embedded_jobs
from stories.models import Story, StoryStatus, StoryVersion
from stories.search import story_search_text
from tests.stories.support import CONTENT, PROMPT, assert_error, assert_field_error, make_story, make_version

SUMMARY_KEYS = {"number", "title", "refinement_type", "quality_score", "word_count", "created_at"}
VERSION_KEYS = {
    "story_id",
    "number",
    "title",
    "content",
    "quality_score",
    "word_count",
    "emotions",
    "cultural_elements",
    "metadata",
    "refinement_type",
    "improvements",
    "preserve_elements",
    "created_at",
}

pytestmark = pytest.mark.django_db


def versions_url(story) -> str:
    return f"/api/v2/stories/{story.pk}/versions"


def version_url(story, number: int) -> str:
    return f"/api/v2/stories/{story.pk}/versions/{number}"


def refined_story(owner, **fields):
    """Return a story at version 3 with an original and two refinements."""
    story = make_story(owner, version=3, **fields)
    make_version(story, 1, title="మొదటి కథ", content="మొదటి పాఠం.", quality_score=0.4, word_count=2)
    make_version(
        story,
        2,
        content="రెండవ పాఠం.",
        quality_score=0.5,
        word_count=2,
        refinement_type="emotion_enhancement",
        improvements=["కరుణ పెంచు"],
    )
    make_version(
        story,
        3,
        content=CONTENT,
        quality_score=0.6,
        refinement_type="language_polishing",
        improvements=["భాష సరిచేయి"],
        preserve_elements=["సీత"],
    )
    return story


# List


def test_list_shows_versions_newest_first(owner, owner_client):
    story = refined_story(owner)

    response = owner_client.get(versions_url(story))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["story_id"] == str(story.pk)
    assert body["current_version"] == 3
    assert body["total"] == 3
    assert body["total_pages"] == 1
    assert [item["number"] for item in body["versions"]] == [3, 2, 1]
    assert all(set(item) == SUMMARY_KEYS for item in body["versions"])
    oldest = body["versions"][2]
    assert oldest["title"] == "మొదటి కథ"
    assert oldest["refinement_type"] == ""
    assert oldest["quality_score"] == 0.4
    assert oldest["word_count"] == 2
    assert datetime.fromisoformat(oldest["created_at"]).tzinfo is not None
    assert body["versions"][1]["refinement_type"] == "emotion_enhancement"


def test_list_leaves_out_version_text(owner, owner_client):
    story = refined_story(owner)

    body = owner_client.get(versions_url(story)).json()

    assert "content" not in body["versions"][0]


def test_list_pages_versions(owner, owner_client):
    story = refined_story(owner)

    first = owner_client.get(versions_url(story), {"limit": 2}).json()
    second = owner_client.get(versions_url(story), {"limit": 2, "page": 2}).json()
    past_end = owner_client.get(versions_url(story), {"limit": 2, "page": 3}).json()

    assert [item["number"] for item in first["versions"]] == [3, 2]
    assert [item["number"] for item in second["versions"]] == [1]
    assert past_end["versions"] == []
    assert past_end["total"] == 3
    assert first["total_pages"] == 2


@pytest.mark.parametrize(("name", "value"), [("page", "0"), ("page", "x"), ("limit", "101"), ("limit", "0")])
def test_list_rejects_invalid_paging(owner, owner_client, name, value):
    story = refined_story(owner)

    assert_field_error(owner_client.get(versions_url(story), {name: value}), versions_url(story), name)


def test_list_of_unfinished_story_is_empty(owner, owner_client):
    story = make_story(owner, status=StoryStatus.RUNNING, title="", content="")

    body = owner_client.get(versions_url(story)).json()

    assert body["versions"] == []
    assert body["total"] == 0
    assert body["current_version"] == 1


def test_list_runs_three_queries(owner, django_assert_num_queries):
    story = refined_story(owner)
    client = APIClient()
    client.force_authenticate(owner)

    with django_assert_num_queries(3):
        response = client.get(versions_url(story))

    assert len(response.json()["versions"]) == 3


# One version


def test_version_returns_full_text(owner, owner_client):
    story = refined_story(owner)

    response = owner_client.get(version_url(story, 3))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == VERSION_KEYS
    assert body["story_id"] == str(story.pk)
    assert body["number"] == 3
    assert body["content"] == CONTENT
    assert body["refinement_type"] == "language_polishing"
    assert body["improvements"] == ["భాష సరిచేయి"]
    assert body["preserve_elements"] == ["సీత"]


def test_earlier_version_stays_retrievable(owner, owner_client):
    story = refined_story(owner)

    body = owner_client.get(version_url(story, 1)).json()

    assert body["content"] == "మొదటి పాఠం."
    assert body["title"] == "మొదటి కథ"


@pytest.mark.parametrize("number", [0, 4, 999])
def test_missing_version_is_404(owner, owner_client, number):
    story = refined_story(owner)

    error = assert_error(owner_client.get(version_url(story, number)), 404, version_url(story, number))

    assert error["message"] == f"Version {number} of this story not found."


def test_non_numeric_version_is_404(owner, owner_client):
    story = refined_story(owner)
    path = f"{versions_url(story)}/latest"

    assert_error(owner_client.get(path), 404, path)


# Read rules


def test_other_user_reads_versions_of_public_story(owner, other_client):
    story = refined_story(owner, is_public=True)

    assert other_client.get(versions_url(story)).status_code == 200
    assert other_client.get(version_url(story, 1)).json()["content"] == "మొదటి పాఠం."


@pytest.mark.parametrize("client_name", ["other_client", "staff_client"])
def test_private_story_versions_are_403_to_others(owner, request, client_name):
    story = refined_story(owner)
    client = request.getfixturevalue(client_name)

    assert_error(client.get(versions_url(story)), 403, versions_url(story))
    assert_error(client.get(version_url(story, 1)), 403, version_url(story, 1))


def test_versions_of_unknown_story_are_404(owner_client):
    path = "/api/v2/stories/00000000-0000-4000-8000-000000000000/versions"

    assert_error(owner_client.get(path), 404, path)
    assert_error(owner_client.get(f"{path}/1"), 404, f"{path}/1")


def test_versions_need_authentication(owner, anonymous_client):
    story = refined_story(owner, is_public=True)

    assert_error(anonymous_client.get(versions_url(story)), 401, versions_url(story))
    assert_error(anonymous_client.get(version_url(story, 1)), 401, version_url(story, 1))


# Model and migration


def test_version_numbers_are_unique_per_story(owner):
    story = make_story(owner)
    make_version(story, 1)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_version(story, 1)


def test_snapshot_copies_current_text_and_scores(owner):
    story = make_story(owner, version=2, emotions=[{"emotion": "karuna", "score": 0.5}], metadata={"model": "m.gguf"})

    version = StoryVersion.snapshot(story, "plot_improvement", ["మలుపు చేర్చు"], ["సీత"])

    assert version.pk is None
    assert version.number == 2
    assert version.content == story.content
    assert version.quality_score == story.quality_score
    assert version.emotions == story.emotions
    assert version.metadata == {"model": "m.gguf"}
    assert version.refinement_type == "plot_improvement"
    assert version.improvements == ["మలుపు చేర్చు"]
    assert version.preserve_elements == ["సీత"]


def test_migration_records_completed_stories_as_versions(owner):
    migration = importlib.import_module("stories.migrations.0002_story_search_and_versions")
    completed = make_story(owner)
    make_story(owner, status=StoryStatus.FAILED, content="")
    refined = make_story(owner, version=2)
    StoryVersion.objects.all().delete()

    migration.add_first_versions(apps, schema_editor=None)

    assert list(StoryVersion.objects.filter(story=completed).values_list("number", "content")) == [(1, CONTENT)]
    assert list(StoryVersion.objects.filter(story=refined).values_list("number", flat=True)) == [2]
    assert StoryVersion.objects.count() == 2


def test_migration_fills_search_text(owner):
    migration = importlib.import_module("stories.migrations.0002_story_search_and_versions")
    story = make_story(owner, title="Sita")
    Story.objects.filter(pk=story.pk).update(search_text="")

    migration.fill_search_text(apps, schema_editor=None)

    story.refresh_from_db()
    assert story.search_text == f"sita\n{CONTENT}"


# The generation job


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_generation_writes_version_one(owner_client):
    payload = {"prompt": PROMPT, "length": 100, "cultural_context": "rural"}

    response = owner_client.post("/api/v2/stories/generate", payload, format="json")
    wait_for_embedded_jobs(timeout=600)

    assert response.status_code == 201, response.content
    story = Story.objects.get(pk=response.json()["story_id"])
    versions = owner_client.get(versions_url(story)).json()
    assert versions["current_version"] == 1
    assert [item["number"] for item in versions["versions"]] == [1]
    version = owner_client.get(version_url(story, 1)).json()
    assert version["content"] == story.content != ""
    assert version["title"] == story.title != ""
    assert version["quality_score"] == story.quality_score
    assert version["word_count"] == story.word_count
    assert version["emotions"] == story.emotions
    assert version["cultural_elements"] == story.cultural_elements
    assert version["metadata"] == story.metadata
    assert version["refinement_type"] == ""
    assert version["improvements"] == []
    assert story.search_text == story_search_text(story.title, story.content)
