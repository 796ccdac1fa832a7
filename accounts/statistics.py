"""A writer's story statistics and the achievements they earn.

The story job reports each finished story with plain values (see
``accounts.services.record_story_result``), so this app never reads stories. The
statistics live in ``User.statistics`` and the earned achievements in
``User.achievements``, both JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storyengine.vocabulary import Rasa

# Wire values of the nine rasas, in the order of the API's emotion enumeration.
RASAS: tuple[str, ...] = tuple(Rasa.values)

COMPLETED = "completed"
FAILED = "failed"
RECORDED_STATUSES: tuple[str, ...] = (COMPLETED, FAILED)

TEN_STORIES = 10
THOUSAND_WORDS = 1000
HIGH_QUALITY_SCORE = 0.8


@dataclass(frozen=True)
class StoryResult:
    """One finished story as the story job reports it.

    ``emotions`` contains the rasas that scored above 0 in the story. ``word_count``,
    ``quality_score`` and ``emotions`` count only for completed stories.
    """

    status: str
    story_type: str
    cultural_context: str
    word_count: int
    quality_score: float | None
    emotions: tuple[str, ...]
    generation_seconds: float
    finished_at: datetime

    def __post_init__(self) -> None:
        if self.status not in RECORDED_STATUSES:
            raise ValueError(f"Invalid story status {self.status!r}: record only {' or '.join(RECORDED_STATUSES)}.")
        if self.word_count < 0:
            raise ValueError(f"Invalid word_count {self.word_count}: pass 0 or more.")
        if self.generation_seconds < 0:
            raise ValueError(f"Invalid generation_seconds {self.generation_seconds}: pass 0 or more.")
        if self.quality_score is not None and not 0.0 <= self.quality_score <= 1.0:
            raise ValueError(f"Invalid quality_score {self.quality_score}: pass a score from 0 to 1.")
        if self.status == COMPLETED and self.quality_score is None:
            raise ValueError("A completed story needs its quality_score.")
        unknown = sorted(set(self.emotions) - set(RASAS))
        if unknown:
            raise ValueError(f"Unknown rasas {', '.join(unknown)}: use the wire names {', '.join(RASAS)}.")

    @property
    def completed(self) -> bool:
        return self.status == COMPLETED


@dataclass
class StoryStatistics:
    """Running totals over a writer's finished stories, as stored in ``User.statistics``.

    ``stories_total`` counts completed and failed stories, and so does
    ``total_generation_seconds``. Every other figure covers completed stories only.
    ``mean_quality_score`` is the mean quality score of the completed stories, kept as a
    running mean: after the n-th completed story with score q,
    ``mean_n = mean_(n-1) + (q - mean_(n-1)) / n``.
    """

    stories_total: int = 0
    stories_completed: int = 0
    stories_failed: int = 0
    words_written: int = 0
    mean_quality_score: float | None = None
    story_types: dict[str, int] = field(default_factory=dict)
    cultural_contexts: dict[str, int] = field(default_factory=dict)
    rasas_used: list[str] = field(default_factory=list)
    total_generation_seconds: float = 0.0
    last_story_at: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StoryStatistics:
        """Read the stored JSON; a missing key takes its starting value."""
        data = data or {}
        return cls(
            stories_total=int(data.get("stories_total", 0)),
            stories_completed=int(data.get("stories_completed", 0)),
            stories_failed=int(data.get("stories_failed", 0)),
            words_written=int(data.get("words_written", 0)),
            mean_quality_score=data.get("mean_quality_score"),
            story_types=dict(data.get("story_types") or {}),
            cultural_contexts=dict(data.get("cultural_contexts") or {}),
            rasas_used=list(data.get("rasas_used") or []),
            total_generation_seconds=float(data.get("total_generation_seconds", 0.0)),
            last_story_at=data.get("last_story_at"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stories_total": self.stories_total,
            "stories_completed": self.stories_completed,
            "stories_failed": self.stories_failed,
            "words_written": self.words_written,
            "mean_quality_score": self.mean_quality_score,
            "story_types": self.story_types,
            "cultural_contexts": self.cultural_contexts,
            "rasas_used": self.rasas_used,
            "total_generation_seconds": self.total_generation_seconds,
            "last_story_at": self.last_story_at,
        }

    def add(self, result: StoryResult) -> None:
        """Add one finished story to the totals."""
        self.stories_total += 1
        self.total_generation_seconds = round(self.total_generation_seconds + result.generation_seconds, 3)
        self.last_story_at = result.finished_at.isoformat()
        if not result.completed:
            self.stories_failed += 1
            return

        self.stories_completed += 1
        self.words_written += result.word_count
        assert result.quality_score is not None
        previous_mean = self.mean_quality_score if self.mean_quality_score is not None else 0.0
        self.mean_quality_score = previous_mean + (result.quality_score - previous_mean) / self.stories_completed
        self.story_types[result.story_type] = self.story_types.get(result.story_type, 0) + 1
        self.cultural_contexts[result.cultural_context] = self.cultural_contexts.get(result.cultural_context, 0) + 1
        seen = set(self.rasas_used) | set(result.emotions)
        # Known rasas in the enumeration's order, then any name an older record kept.
        self.rasas_used = [name for name in RASAS if name in seen] + sorted(seen - set(RASAS))


@dataclass(frozen=True)
class AchievementRule:
    """An achievement and the test that awards it, run after the statistics include the story."""

    id: str
    name: str
    description: str
    is_met: Callable[[StoryStatistics, StoryResult], bool]


ACHIEVEMENT_RULES: tuple[AchievementRule, ...] = (
    AchievementRule(
        id="first_story",
        name="First story",
        description="Complete your first story.",
        is_met=lambda statistics, result: statistics.stories_completed >= 1,
    ),
    AchievementRule(
        id="ten_stories",
        name="Ten stories",
        description=f"Complete {TEN_STORIES} stories.",
        is_met=lambda statistics, result: statistics.stories_completed >= TEN_STORIES,
    ),
    AchievementRule(
        id="thousand_words",
        name="A thousand words",
        description=f"Write {THOUSAND_WORDS:,} words in total across your completed stories.",
        is_met=lambda statistics, result: statistics.words_written >= THOUSAND_WORDS,
    ),
    AchievementRule(
        id="high_quality",
        name="High quality",
        description=f"Complete a story with a quality score of {HIGH_QUALITY_SCORE} or more.",
        is_met=lambda statistics, result: (
            result.completed and result.quality_score is not None and result.quality_score >= HIGH_QUALITY_SCORE
        ),
    ),
    AchievementRule(
        id="all_nine_rasas",
        name="All nine rasas",
        description="Use every one of the nine rasas: each must score above 0 in at least one completed story.",
        is_met=lambda statistics, result: set(RASAS) <= set(statistics.rasas_used),
    ),
)


def award_achievements(
    earned: Iterable[dict[str, Any]], statistics: StoryStatistics, result: StoryResult
) -> list[dict[str, Any]]:
    """Return the achievements the story newly earns, stamped with the story's finishing time.

    An achievement is awarded once and kept: rules are only checked for the ids not
    yet in ``earned``.
    """
    earned_ids = {item.get("id") for item in earned}
    return [
        {
            "id": rule.id,
            "name": rule.name,
            "description": rule.description,
            "achieved_at": result.finished_at.isoformat(),
        }
        for rule in ACHIEVEMENT_RULES
        if rule.id not in earned_ids and rule.is_met(statistics, result)
    ]
