"""The writer's statistics and achievements as the profile page shows them, translated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.statistics import HIGH_QUALITY_SCORE, TEN_STORIES, THOUSAND_WORDS, StoryStatistics
from storyengine.vocabulary import CulturalContext, Rasa, StoryType


@dataclass(frozen=True)
class AchievementView:
    id: str
    name: str
    rule: str
    achieved_at: Any


def _achievement_texts() -> dict[str, tuple[str, str]]:
    """Return each achievement's translated name and rule, keyed by its id (see ``ACHIEVEMENT_RULES``)."""
    return {
        "first_story": (_("First story"), _("Complete your first story.")),
        "ten_stories": (
            _("Ten stories"),
            _("Complete %(count)s stories.") % {"count": number_format(TEN_STORIES)},
        ),
        "thousand_words": (
            _("A thousand words"),
            _("Write %(count)s words in total across your completed stories.")
            % {"count": number_format(THOUSAND_WORDS, force_grouping=True)},
        ),
        "high_quality": (
            _("High quality"),
            _("Complete a story with a quality score of %(score)s or more.") % {"score": HIGH_QUALITY_SCORE},
        ),
        "all_nine_rasas": (
            _("All nine rasas"),
            _("Use every one of the nine rasas: each must score above 0 in at least one completed story."),
        ),
    }


def earned_achievements(stored: list[dict[str, Any]]) -> list[AchievementView]:
    """Return the earned achievements with translated names; an id this page does not know keeps its stored text."""
    texts = _achievement_texts()
    views = []
    for item in stored or []:
        name, rule = texts.get(item.get("id"), (item.get("name", ""), item.get("description", "")))
        views.append(
            AchievementView(
                id=item.get("id", ""),
                name=name,
                rule=rule,
                achieved_at=parse_datetime(item.get("achieved_at") or ""),
            )
        )
    return views


def open_achievements(stored: list[dict[str, Any]]) -> list[AchievementView]:
    """Return the achievements not earned yet, with their rules, so the profile lists what a writer can earn next."""
    earned = {item.get("id") for item in stored or []}
    return [
        AchievementView(id=key, name=name, rule=rule, achieved_at=None)
        for key, (name, rule) in _achievement_texts().items()
        if key not in earned
    ]


def _labelled_counts(counts: dict[str, int], labels: dict[str, str]) -> list[tuple[str, int]]:
    return sorted(((labels.get(key, key), count) for key, count in counts.items()), key=lambda pair: -pair[1])


def statistics_view(stored: dict[str, Any]) -> dict[str, Any]:
    """Return the stored statistics with labels translated and the mean score as a percentage."""
    statistics = StoryStatistics.from_json(stored)
    story_types = dict(StoryType.choices)
    contexts = dict(CulturalContext.choices)
    rasas = dict(Rasa.choices)
    mean = statistics.mean_quality_score
    return {
        "stories_total": statistics.stories_total,
        "stories_completed": statistics.stories_completed,
        "stories_failed": statistics.stories_failed,
        "words_written": statistics.words_written,
        "mean_quality_percent": round(mean * 100) if mean is not None else None,
        "story_types": _labelled_counts(statistics.story_types, {key: str(label) for key, label in story_types.items()}),
        "cultural_contexts": _labelled_counts(
            statistics.cultural_contexts, {key: str(label) for key, label in contexts.items()}
        ),
        "rasas_used": [str(rasas.get(name, name)) for name in statistics.rasas_used],
        "minutes_generating": round(statistics.total_generation_seconds / 60, 1),
        "last_story_at": parse_datetime(statistics.last_story_at or ""),
    }
