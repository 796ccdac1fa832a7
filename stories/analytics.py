"""Figures about one story, computed from its stored text, metadata and agent runs.

Nothing here calls the model. Every figure is recomputed from data the story
row and its AgentRun rows already contain, so analytics are cheap and return
the same figures every time for the same stored story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.text import distinct_n, graphemes, paragraphs, sentences, telugu_letter_share, word_count
from stories.models import Story

# NOTE: an assumed silent-reading rate for adult readers of Telugu prose, not a
# measured one. It sits below the 200-250 words per minute usually quoted for
# English because Telugu words are agglutinative and so longer on average.
READING_WORDS_PER_MINUTE = 150

_DIGITS = 4


@dataclass(frozen=True)
class AgentFigures:
    """The recorded cost of one agent's steps for the story, summed over its runs."""

    runs: int
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    outcome: str


@dataclass(frozen=True)
class StoryAnalytics:
    """Text, emotion and cost figures of one story.

    Text figures use the word, sentence and paragraph rules of ``analysis.text``:
    - ``paragraph_count``, ``sentence_count``, ``word_count``, ``grapheme_count``:
      counts of those units in the content.
    - ``mean_words_per_sentence`` = word_count / sentence_count (0 without sentences).
    - ``mean_sentences_per_paragraph`` = sentence_count / paragraph_count (0 without paragraphs).
    - ``distinct_2`` = distinct word bigrams / all word bigrams (1.0 when no bigram repeats).
    - ``telugu_script_share`` = Telugu letters / all letters.
    - ``length_ratio`` = word_count / target_length, the requested length in words.
    - ``reading_time_minutes`` = word_count / ``reading_words_per_minute``.

    Emotion figures come from the emotion agent's output stored with the story:
    - ``emotional_arc``: the per-paragraph points from ``metadata["emotional_arc"]``.
    - ``dominant_emotion``: the first entry of ``emotions`` (sorted strongest first)
      when its score is above 0, else None.
    - ``emotion_shifts``: the number of adjacent arc points whose emotion differs.
    - ``peak``: the arc point with the highest intensity, the earliest on a tie.

    Cost figures sum the story's AgentRun rows:
    - ``agent_seconds``: the sum of every run's wall-clock seconds.
    - ``prompt_tokens``, ``completion_tokens``: the sums over every run.
    - ``writer_tokens_per_second`` = writer completion tokens / writer seconds,
      None when the writer has not run or took no measurable time.
    """

    paragraph_count: int
    sentence_count: int
    word_count: int
    grapheme_count: int
    mean_words_per_sentence: float
    mean_sentences_per_paragraph: float
    distinct_2: float
    telugu_script_share: float
    length_ratio: float | None
    reading_time_minutes: float
    reading_words_per_minute: int
    emotional_arc: list[dict[str, Any]]
    dominant_emotion: str | None
    emotion_shifts: int
    peak: dict[str, Any] | None
    agent_seconds: float
    prompt_tokens: int
    completion_tokens: int
    writer_tokens_per_second: float | None
    agents: dict[str, AgentFigures] = field(default_factory=dict)


def story_analytics(story: Story) -> StoryAnalytics:
    """Compute the figures of ``story``; :class:`StoryAnalytics` states each formula.

    Reads ``story.agent_runs.all()``, so prefetch ``agent_runs`` to keep this free of queries.
    """
    content = story.content
    paragraph_total = len(paragraphs(content))
    sentence_total = len(sentences(content))
    words = word_count(content)
    arc = _arc_points(story.metadata)
    agents = _agent_figures(story)
    writer = agents.get("writer")

    return StoryAnalytics(
        paragraph_count=paragraph_total,
        sentence_count=sentence_total,
        word_count=words,
        grapheme_count=len(graphemes(content)),
        mean_words_per_sentence=_ratio(words, sentence_total),
        mean_sentences_per_paragraph=_ratio(sentence_total, paragraph_total),
        distinct_2=round(distinct_n(content, 2), _DIGITS),
        telugu_script_share=round(telugu_letter_share(content), _DIGITS),
        length_ratio=_ratio(words, story.target_length) if story.target_length else None,
        reading_time_minutes=round(words / READING_WORDS_PER_MINUTE, 2),
        reading_words_per_minute=READING_WORDS_PER_MINUTE,
        emotional_arc=arc,
        dominant_emotion=_dominant_emotion(story.emotions),
        emotion_shifts=sum(1 for before, after in zip(arc, arc[1:]) if before.get("emotion") != after.get("emotion")),
        peak=_peak(arc),
        agent_seconds=round(sum(figures.seconds for figures in agents.values()), _DIGITS),
        prompt_tokens=sum(figures.prompt_tokens for figures in agents.values()),
        completion_tokens=sum(figures.completion_tokens for figures in agents.values()),
        writer_tokens_per_second=(
            round(writer.completion_tokens / writer.seconds, 2) if writer is not None and writer.seconds > 0 else None
        ),
        agents=agents,
    )


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, _DIGITS) if denominator else 0.0


def _arc_points(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    arc = (metadata or {}).get("emotional_arc") or []
    return [point for point in arc if isinstance(point, dict)]


def _dominant_emotion(emotions: list[dict[str, Any]]) -> str | None:
    if not emotions:
        return None
    strongest = emotions[0]
    return strongest.get("emotion") if (strongest.get("score") or 0) > 0 else None


def _peak(arc: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not arc:
        return None
    # max() keeps the first of equal items, which is the earliest point.
    return max(arc, key=lambda point: point.get("intensity") or 0)


def _agent_figures(story: Story) -> dict[str, AgentFigures]:
    """Sum each agent's runs in start order; ``outcome`` is that of the agent's last run."""
    totals: dict[str, dict[str, Any]] = {}
    for run in story.agent_runs.all():
        entry = totals.setdefault(
            run.agent_id, {"runs": 0, "seconds": 0.0, "prompt_tokens": 0, "completion_tokens": 0, "outcome": ""}
        )
        entry["runs"] += 1
        entry["seconds"] += run.seconds
        entry["prompt_tokens"] += run.prompt_tokens
        entry["completion_tokens"] += run.completion_tokens
        entry["outcome"] = run.outcome
    return {
        agent_id: AgentFigures(
            runs=entry["runs"],
            seconds=round(entry["seconds"], _DIGITS),
            prompt_tokens=entry["prompt_tokens"],
            completion_tokens=entry["completion_tokens"],
            outcome=entry["outcome"],
        )
        for agent_id, entry in totals.items()
    }
