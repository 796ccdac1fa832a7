"""GET /api/v2/stories/{id}: read rules and the analytics computed from stored data."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agents.models import AgentRun
from stories.analytics import READING_WORDS_PER_MINUTE
from stories.models import StoryStatus
from tests.stories.support import CONTENT, EMOTIONAL_ARC, PROMPT, assert_error, assert_field_error, make_story

DETAIL_KEYS = {
    "story_id",
    "status",
    "error",
    "title",
    "content",
    "emotions",
    "cultural_elements",
    "generation_time",
    "quality_score",
    "agent_contributions",
    "metadata",
    "created_at",
    "prompt",
    "story_type",
    "cultural_context",
    "emotion_focus",
    "target_length",
    "is_public",
    "updated_at",
    "version",
}
EMOTIONS = [
    {"emotion": "karuna", "score": 0.5, "label_en": "Compassion", "label_te": "కరుణ", "confidence": 0.4},
    {"emotion": "adbhuta", "score": 0.3, "label_en": "Wonder", "label_te": "అద్భుతం", "confidence": 0.2},
]

pytestmark = pytest.mark.django_db


def url(story) -> str:
    return f"/api/v2/stories/{story.pk}"


def analysed_story(owner, **fields):
    values = {"emotions": EMOTIONS, "metadata": {"title": "సీత పడవ", "emotional_arc": EMOTIONAL_ARC}}
    values.update(fields)
    return make_story(owner, **values)


def add_run(story, agent: str, seconds: float, prompt_tokens: int, completion_tokens: int, outcome: str = "succeeded"):
    return AgentRun.objects.create(
        story=story,
        agent_id=agent,
        seconds=seconds,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        outcome=outcome,
    )


# Read rules


def test_owner_reads_story_without_analytics_by_default(owner, owner_client):
    story = make_story(owner)

    response = owner_client.get(url(story))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == DETAIL_KEYS
    assert body["story_id"] == str(story.pk)
    assert body["prompt"] == PROMPT
    assert body["content"] == CONTENT
    assert body["version"] == 1


def test_other_user_reads_public_story(owner, other_client):
    story = make_story(owner, is_public=True)

    response = other_client.get(url(story), {"include_analytics": "true"})

    assert response.status_code == 200, response.content
    assert response.json()["analytics"]["paragraph_count"] == 3


def test_other_user_gets_403_for_private_story(owner, other_client):
    story = make_story(owner)

    error = assert_error(other_client.get(url(story)), 403, url(story))

    assert error["message"] == "This story is private."


def test_staff_gets_403_for_private_story(owner, staff_client):
    story = make_story(owner)

    assert_error(staff_client.get(url(story)), 403, url(story))


def test_unknown_story_is_404(owner_client):
    path = "/api/v2/stories/00000000-0000-4000-8000-000000000000"

    error = assert_error(owner_client.get(path), 404, path)

    assert error["message"] == "Story not found."


def test_bad_parameter_is_400_even_for_unknown_story(owner_client):
    path = "/api/v2/stories/00000000-0000-4000-8000-000000000000"

    assert_field_error(owner_client.get(path, {"include_analytics": "maybe"}), path, "include_analytics")


def test_anonymous_reader_gets_401(owner, anonymous_client):
    story = make_story(owner, is_public=True)

    assert_error(anonymous_client.get(url(story)), 401, url(story))


# include_analytics values


@pytest.mark.parametrize("value", ["true", "1", "True", "TRUE"])
def test_include_analytics_accepts_true_values(owner, owner_client, value):
    story = make_story(owner)

    body = owner_client.get(url(story), {"include_analytics": value}).json()

    assert "analytics" in body


@pytest.mark.parametrize("value", ["false", "0", "False"])
def test_include_analytics_accepts_false_values(owner, owner_client, value):
    story = make_story(owner)

    body = owner_client.get(url(story), {"include_analytics": value}).json()

    assert "analytics" not in body


@pytest.mark.parametrize("value", ["yes", "on", "", "2", "-1", "t", "true "])
def test_include_analytics_rejects_other_values(owner, owner_client, value):
    story = make_story(owner)

    response = owner_client.get(url(story), {"include_analytics": value})

    error = assert_field_error(response, url(story), "include_analytics")
    assert error["details"]["include_analytics"] == [f"Expected true, false, 1 or 0, got {value!r}."]


# Analytics figures


def test_analytics_counts_text_units(owner, owner_client):
    story = analysed_story(owner)

    analytics = owner_client.get(url(story), {"include_analytics": "true"}).json()["analytics"]

    assert analytics["paragraph_count"] == 3
    assert analytics["sentence_count"] == 6
    assert analytics["word_count"] == 29
    assert analytics["mean_words_per_sentence"] == round(29 / 6, 4)
    assert analytics["mean_sentences_per_paragraph"] == 2.0
    assert analytics["distinct_2"] == 1.0
    assert analytics["telugu_script_share"] == 1.0
    assert analytics["length_ratio"] == 0.29
    assert analytics["reading_words_per_minute"] == READING_WORDS_PER_MINUTE
    assert analytics["reading_time_minutes"] == round(29 / READING_WORDS_PER_MINUTE, 2)


def test_analytics_counts_graphemes_not_code_points(owner, owner_client):
    story = make_story(owner, content="క్షమ")

    analytics = owner_client.get(url(story), {"include_analytics": "1"}).json()["analytics"]

    assert analytics["grapheme_count"] == 2
    assert analytics["word_count"] == 1


def test_analytics_measures_repetition_and_script(owner, owner_client):
    repeated = make_story(owner, content="ఒక కథ ఒక కథ ఒక కథ")
    mixed = make_story(owner, content="సీత Hyderabad")

    repeated_analytics = owner_client.get(url(repeated), {"include_analytics": "1"}).json()["analytics"]
    mixed_analytics = owner_client.get(url(mixed), {"include_analytics": "1"}).json()["analytics"]

    # 5 bigrams, 2 of them distinct.
    assert repeated_analytics["distinct_2"] == 0.4
    # 2 Telugu letters (స, త; the vowel sign is a mark) of 11 letters.
    assert mixed_analytics["telugu_script_share"] == round(2 / 11, 4)


def test_analytics_reads_emotional_arc_from_metadata(owner, owner_client):
    story = analysed_story(owner)

    analytics = owner_client.get(url(story), {"include_analytics": "true"}).json()["analytics"]

    assert analytics["emotional_arc"] == EMOTIONAL_ARC
    assert analytics["dominant_emotion"] == "karuna"
    assert analytics["emotion_shifts"] == 2
    assert analytics["peak"] == EMOTIONAL_ARC[1]


def test_analytics_sums_agent_runs(owner, owner_client):
    story = analysed_story(owner)
    add_run(story, "planner", 1.5, 100, 20)
    add_run(story, "writer", 6.0, 300, 120, outcome="cancelled")
    add_run(story, "writer", 4.0, 350, 80)
    add_run(story, "editor", 0.25, 0, 0)

    analytics = owner_client.get(url(story), {"include_analytics": "true"}).json()["analytics"]

    assert analytics["agent_seconds"] == 11.75
    assert analytics["prompt_tokens"] == 750
    assert analytics["completion_tokens"] == 220
    assert analytics["writer_tokens_per_second"] == 20.0
    assert analytics["agents"]["writer"] == {
        "runs": 2,
        "seconds": 10.0,
        "prompt_tokens": 650,
        "completion_tokens": 200,
        "outcome": "succeeded",
    }
    assert set(analytics["agents"]) == {"planner", "writer", "editor"}


def test_analytics_of_queued_story_are_empty(owner, owner_client):
    story = make_story(owner, status=StoryStatus.QUEUED, title="", content="", quality_score=None)

    analytics = owner_client.get(url(story), {"include_analytics": "true"}).json()["analytics"]

    assert analytics["paragraph_count"] == 0
    assert analytics["sentence_count"] == 0
    assert analytics["word_count"] == 0
    assert analytics["mean_words_per_sentence"] == 0.0
    assert analytics["reading_time_minutes"] == 0.0
    assert analytics["length_ratio"] == 0.0
    assert analytics["emotional_arc"] == []
    assert analytics["dominant_emotion"] is None
    assert analytics["peak"] is None
    assert analytics["writer_tokens_per_second"] is None
    assert analytics["agents"] == {}


def test_analytics_have_no_dominant_emotion_when_nothing_scored(owner, owner_client):
    story = make_story(owner, emotions=[{"emotion": "shringara", "score": 0.0}])

    analytics = owner_client.get(url(story), {"include_analytics": "true"}).json()["analytics"]

    assert analytics["dominant_emotion"] is None


def test_analytics_add_no_queries(owner, django_assert_num_queries):
    story = analysed_story(owner)
    for _ in range(5):
        add_run(story, "writer", 1.0, 10, 10)
    client = APIClient()
    client.force_authenticate(owner)

    # The story, its agent runs and their agents, with or without analytics.
    with django_assert_num_queries(3):
        plain = client.get(url(story))
    with django_assert_num_queries(3):
        analysed = client.get(url(story), {"include_analytics": "true"})

    assert "analytics" not in plain.json()
    assert analysed.json()["analytics"]["agents"]["writer"]["runs"] == 5
