"""A writer's story statistics and achievements, kept on the user and shown by GET users/profile."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.db import connection

from accounts.services import record_story_result
from accounts.statistics import ACHIEVEMENT_RULES, HIGH_QUALITY_SCORE, RASAS
from storyengine.vocabulary import Rasa
from tests.accounts.support import PROFILE_URL

GENERATE_URL = "/api/v2/stories/generate"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"


def completed(user, **overrides):
    values = {
        "status": "completed",
        "story_type": "folk_tale",
        "cultural_context": "rural",
        "word_count": 120,
        "quality_score": 0.6,
        "emotions": ["karuna"],
        "generation_seconds": 12.5,
    }
    values.update(overrides)
    return record_story_result(user.pk, **values)


def failed(user, **overrides):
    values = {"status": "failed", "story_type": "poem", "cultural_context": "modern", "generation_seconds": 3.0}
    values.update(overrides)
    return record_story_result(user.pk, **values)


def achievement_ids(user) -> list[str]:
    user.refresh_from_db()
    return [item["id"] for item in user.achievements]


# Statistics


@pytest.mark.django_db
def test_completed_story_sets_every_total(owner):
    completed(owner, word_count=150, quality_score=0.72, emotions=["karuna", "shanta"], generation_seconds=20.25)

    owner.refresh_from_db()
    statistics = owner.statistics
    assert statistics["stories_total"] == 1
    assert statistics["stories_completed"] == 1
    assert statistics["stories_failed"] == 0
    assert statistics["words_written"] == 150
    assert statistics["mean_quality_score"] == pytest.approx(0.72)
    assert statistics["story_types"] == {"folk_tale": 1}
    assert statistics["cultural_contexts"] == {"rural": 1}
    assert statistics["rasas_used"] == ["karuna", "shanta"]
    assert statistics["total_generation_seconds"] == pytest.approx(20.25)
    assert datetime.fromisoformat(statistics["last_story_at"]).tzinfo is not None


@pytest.mark.django_db
def test_failed_story_counts_only_as_failed(owner):
    failed(owner, generation_seconds=4.5)

    owner.refresh_from_db()
    statistics = owner.statistics
    assert statistics["stories_total"] == 1
    assert statistics["stories_completed"] == 0
    assert statistics["stories_failed"] == 1
    assert statistics["words_written"] == 0
    assert statistics["mean_quality_score"] is None
    assert statistics["story_types"] == {}
    assert statistics["cultural_contexts"] == {}
    assert statistics["rasas_used"] == []
    assert statistics["total_generation_seconds"] == pytest.approx(4.5)
    assert owner.achievements == []


@pytest.mark.django_db
def test_mean_quality_is_running_mean_of_completed(owner):
    completed(owner, quality_score=0.5)
    failed(owner)
    completed(owner, quality_score=0.7)
    completed(owner, quality_score=0.9)

    owner.refresh_from_db()
    assert owner.statistics["mean_quality_score"] == pytest.approx((0.5 + 0.7 + 0.9) / 3)
    assert owner.statistics["stories_total"] == 4
    assert owner.statistics["stories_completed"] == 3


@pytest.mark.django_db
def test_story_types_and_contexts_are_counted(owner):
    completed(owner, story_type="folk_tale", cultural_context="rural")
    completed(owner, story_type="folk_tale", cultural_context="festival")
    completed(owner, story_type="poem", cultural_context="rural")

    owner.refresh_from_db()
    assert owner.statistics["story_types"] == {"folk_tale": 2, "poem": 1}
    assert owner.statistics["cultural_contexts"] == {"rural": 2, "festival": 1}


@pytest.mark.django_db
def test_rasas_used_is_union_in_enumeration_order(owner):
    completed(owner, emotions=["shanta", "karuna"])
    completed(owner, emotions=["hasya", "karuna", "karuna"])

    owner.refresh_from_db()
    assert owner.statistics["rasas_used"] == ["hasya", "karuna", "shanta"]


@pytest.mark.django_db
def test_keys_added_by_hand_are_kept(owner):
    owner.statistics = {"imported_stories": 4}
    owner.save(update_fields=["statistics"])

    completed(owner)

    owner.refresh_from_db()
    assert owner.statistics["imported_stories"] == 4
    assert owner.statistics["stories_completed"] == 1


@pytest.mark.django_db
def test_statistics_belong_to_their_user(owner, other):
    completed(owner)

    owner.refresh_from_db()
    other.refresh_from_db()
    assert owner.statistics["stories_completed"] == 1
    assert other.statistics == {}
    assert other.achievements == []


# Invalid reports


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"status": "cancelled"}, "Invalid story status"),
        ({"emotions": ["sorrow"]}, "Unknown rasas sorrow"),
        ({"quality_score": None}, "needs its quality_score"),
        ({"quality_score": 1.5}, "Invalid quality_score"),
        ({"word_count": -1}, "Invalid word_count"),
        ({"generation_seconds": -0.1}, "Invalid generation_seconds"),
    ],
)
def test_invalid_report_raises_and_saves_nothing(owner, overrides, message):
    with pytest.raises(ValueError, match=message):
        completed(owner, **overrides)

    owner.refresh_from_db()
    assert owner.statistics == {}
    assert owner.achievements == []


@pytest.mark.django_db
def test_deleted_user_is_skipped(owner):
    user_id = owner.pk
    owner.delete()

    assert record_story_result(
        user_id, status="failed", story_type="poem", cultural_context="modern", generation_seconds=1.0
    ) == []


# Achievements


def test_rasa_names_match_analysis_enumeration():
    assert RASAS == tuple(Rasa.values)


def test_achievement_rules_have_unique_ids_and_descriptions():
    ids = [rule.id for rule in ACHIEVEMENT_RULES]
    assert len(ids) == len(set(ids))
    assert {"first_story", "ten_stories", "all_nine_rasas", "thousand_words", "high_quality"} <= set(ids)
    for rule in ACHIEVEMENT_RULES:
        assert rule.name
        assert rule.description.endswith(".")


@pytest.mark.django_db
def test_first_story_is_awarded_once_with_its_rule(owner):
    new = completed(owner)
    again = completed(owner)

    assert [item["id"] for item in new] == ["first_story"]
    assert again == []
    owner.refresh_from_db()
    assert len(owner.achievements) == 1
    achievement = owner.achievements[0]
    assert set(achievement) == {"id", "name", "description", "achieved_at"}
    assert achievement["name"] == "First story"
    assert achievement["description"] == "Complete your first story."
    assert datetime.fromisoformat(achievement["achieved_at"]).tzinfo is not None


@pytest.mark.django_db
def test_first_story_keeps_its_award_time(owner):
    completed(owner)
    owner.refresh_from_db()
    first_award = owner.achievements[0]["achieved_at"]

    completed(owner)

    owner.refresh_from_db()
    assert owner.achievements[0]["achieved_at"] == first_award
    assert owner.statistics["last_story_at"] != first_award


@pytest.mark.django_db
def test_failed_story_earns_no_first_story(owner):
    failed(owner)

    assert achievement_ids(owner) == []


@pytest.mark.django_db
def test_ten_stories_on_tenth_completed(owner):
    for _ in range(9):
        completed(owner, word_count=10)
    failed(owner)
    assert "ten_stories" not in achievement_ids(owner)

    completed(owner, word_count=10)

    assert "ten_stories" in achievement_ids(owner)


@pytest.mark.django_db
def test_thousand_words_across_stories(owner):
    completed(owner, word_count=600)
    assert "thousand_words" not in achievement_ids(owner)

    completed(owner, word_count=399)
    assert "thousand_words" not in achievement_ids(owner)

    completed(owner, word_count=1)
    assert "thousand_words" in achievement_ids(owner)


@pytest.mark.django_db
def test_high_quality_needs_threshold_score(owner):
    completed(owner, quality_score=HIGH_QUALITY_SCORE - 0.01)
    assert "high_quality" not in achievement_ids(owner)

    completed(owner, quality_score=HIGH_QUALITY_SCORE)
    assert "high_quality" in achievement_ids(owner)


@pytest.mark.django_db
def test_all_nine_rasas_across_stories(owner):
    completed(owner, emotions=list(RASAS[:5]))
    completed(owner, emotions=list(RASAS[5:8]))
    assert "all_nine_rasas" not in achievement_ids(owner)

    completed(owner, emotions=[RASAS[8]])

    assert "all_nine_rasas" in achievement_ids(owner)


@pytest.mark.django_db
def test_achievements_are_listed_in_award_order(owner):
    completed(owner, word_count=500)
    completed(owner, word_count=500, quality_score=0.85)

    assert achievement_ids(owner) == ["first_story", "thousand_words", "high_quality"]


# Concurrency


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_all_count(owner):
    def report_five() -> None:
        try:
            for _ in range(5):
                completed(owner, word_count=10)
        finally:
            connection.close()

    threads = [threading.Thread(target=report_five) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    owner.refresh_from_db()
    assert owner.statistics["stories_completed"] == 10
    assert owner.statistics["words_written"] == 100
    assert achievement_ids(owner).count("first_story") == 1
    assert "ten_stories" in achievement_ids(owner)


# The profile


@pytest.mark.django_db
def test_profile_shows_recorded_statistics(owner_client, owner):
    completed(owner, word_count=140, quality_score=0.66)

    body = owner_client.get(PROFILE_URL).json()

    owner.refresh_from_db()
    assert body["statistics"] == owner.statistics
    assert body["statistics"]["words_written"] == 140
    assert [item["id"] for item in body["achievements"]] == ["first_story"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_profile_statistics_change_after_real_story(owner_client, owner):
    from storyengine.jobs import wait_for_embedded_jobs
    from stories.models import Story, StoryStatus

    before = owner_client.get(PROFILE_URL).json()
    assert before["statistics"] == {}

    try:
        response = owner_client.post(
            GENERATE_URL, {"prompt": PROMPT, "length": 100, "cultural_context": "rural"}, format="json"
        )
    finally:
        # The statistics are written just after the story is marked completed.
        wait_for_embedded_jobs(timeout=600)

    assert response.status_code == 201, response.content
    story = Story.objects.get(pk=response.json()["story_id"])
    assert story.status == StoryStatus.COMPLETED
    after = owner_client.get(PROFILE_URL).json()
    statistics = after["statistics"]
    assert statistics["stories_total"] == 1
    assert statistics["stories_completed"] == 1
    assert statistics["words_written"] == story.word_count > 0
    assert statistics["mean_quality_score"] == pytest.approx(story.quality_score)
    assert statistics["story_types"] == {"short_story": 1}
    assert statistics["cultural_contexts"] == {"rural": 1}
    expected_rasas = [name for name in RASAS if any(e["emotion"] == name and e["score"] > 0 for e in story.emotions)]
    assert statistics["rasas_used"] == expected_rasas
    assert statistics["total_generation_seconds"] == pytest.approx(story.generation_time, abs=0.001)
    assert "first_story" in [item["id"] for item in after["achievements"]]
