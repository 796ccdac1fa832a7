"""The parts of the reading view besides the text: quality parts, agents' steps, rasa scores and cultural elements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from agents.pipeline.quality import WEIGHTS
from storyengine.vocabulary import Rasa
from stories.analytics import StoryAnalytics

# Each measured part of the quality score and the sentence that explains it to a writer.
QUALITY_PARTS = {
    "telugu_script": (
        _("Telugu script"),
        _("The share of letters written in Telugu script; English words or stray symbols lower it."),
    ),
    "distinct_2": (
        _("Variety"),
        _("The share of word pairs that appear only once; repeated phrases lower it."),
    ),
    "length_fit": (
        _("Length"),
        _("How close the story comes to the length you asked for; twice as long, or empty, scores 0."),
    ),
    "fluency": (
        _("Fluency"),
        _("How natural the model found its own text: the geometric mean of the probabilities it gave the tokens it wrote."),
    ),
    "emotion_match": (
        _("Rasa match"),
        _("The share of the story's rasa strength that belongs to the rasas you chose."),
    ),
}

AGENT_ROLES = {
    "planner": _("Planner"),
    "cultural": _("Cultural guide"),
    "writer": _("Writer"),
    "emotion": _("Rasa reader"),
    "editor": _("Editor"),
    "refiner": _("Refiner"),
    "narrator": _("Narrator"),
    "illustrator": _("Illustrator"),
}
AGENT_TASKS = {
    "planner": _("Chose the title, the characters, the setting and the order of events."),
    "cultural": _("Picked festivals, places, food and customs that fit the setting."),
    "writer": _("Wrote the story part by part."),
    "emotion": _("Measured the nine rasas in every paragraph."),
    "editor": _("Measured the quality and mended weak passages."),
    "refiner": _("Rewrote the story as you asked."),
    "narrator": _("Read the story aloud."),
    "illustrator": _("Drew pictures for the story."),
}
# AgentRunOutcome values.
OUTCOME_LABELS = {
    "running": _("running"),
    "succeeded": _("done"),
    "fell_back": _("done with a fallback"),
    "failed": _("failed"),
    "cancelled": _("cancelled"),
}
CULTURAL_CATEGORIES = {
    "festival": _("Festival"),
    "place": _("Place"),
    "food": _("Food"),
    "custom": _("Custom"),
    "name": _("Name"),
}
# The generation stages in the order the pipeline runs them; the live view lists them.
GENERATION_STAGES = ("planner", "cultural", "writer", "emotion", "editor")
REFINEMENT_STAGES = ("refiner", "emotion", "editor")


@dataclass(frozen=True)
class QualityPart:
    key: str
    label: str
    explanation: str
    percent: int
    weight_percent: int


@dataclass(frozen=True)
class AgentStep:
    role: str
    label: str
    task: str
    runs: int
    seconds: float
    tokens: int
    outcome: str


@dataclass(frozen=True)
class RasaScore:
    key: str
    label: str
    percent: int


def quality_parts(components: Any) -> list[QualityPart]:
    """Return the measured parts in the order of QUALITY_PARTS, each with its share of the score.

    ``weight_percent`` is the part's weight renormalized over the parts present,
    as ``agents.pipeline.quality.quality_score`` weighs them.
    """
    if not isinstance(components, dict):
        return []
    present = [key for key in QUALITY_PARTS if isinstance(components.get(key), (int, float))]
    total_weight = sum(WEIGHTS.get(key, 0.0) for key in present)
    parts = []
    for key in present:
        label, explanation = QUALITY_PARTS[key]
        weight = WEIGHTS.get(key, 0.0) / total_weight if total_weight else 0.0
        parts.append(
            QualityPart(
                key=key,
                label=str(label),
                explanation=str(explanation),
                percent=round(min(1.0, max(0.0, float(components[key]))) * 100),
                weight_percent=round(weight * 100),
            )
        )
    return parts


def agent_steps(analytics: StoryAnalytics) -> list[AgentStep]:
    """Return one row per agent that worked on the story, in the order they first ran."""
    steps = []
    for role, figures in analytics.agents.items():
        steps.append(
            AgentStep(
                role=role,
                label=str(AGENT_ROLES.get(role, role)),
                task=str(AGENT_TASKS.get(role, "")),
                runs=figures.runs,
                seconds=figures.seconds,
                tokens=figures.prompt_tokens + figures.completion_tokens,
                outcome=str(OUTCOME_LABELS.get(figures.outcome, figures.outcome)),
            )
        )
    return steps


def rasa_scores(emotions: Any) -> list[RasaScore]:
    """Return the rasas that scored above 0, strongest first, as percentages."""
    labels = dict(Rasa.choices)
    scores = []
    for item in emotions or []:
        if not isinstance(item, dict) or item.get("emotion") not in labels:
            continue
        score = item.get("score")
        if isinstance(score, (int, float)) and score > 0:
            scores.append(RasaScore(key=item["emotion"], label=str(labels[item["emotion"]]), percent=round(score * 100)))
    return sorted(scores, key=lambda entry: -entry.percent)


def cultural_elements(elements: Any) -> list[dict[str, Any]]:
    """Return the cultural elements with a translated category, dropping malformed entries."""
    elements_shown = []
    for element in elements or []:
        if not isinstance(element, dict):
            continue
        elements_shown.append(
            {
                "name_te": element.get("name_te") or "",
                "name_en": element.get("name_en") or element.get("name") or "",
                "category": str(CULTURAL_CATEGORIES.get(element.get("category"), element.get("category") or "")),
                "mentions": element.get("mentions") if isinstance(element.get("mentions"), int) else None,
            }
        )
    return elements_shown


def stage_labels(stages: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"role": role, "label": str(AGENT_ROLES[role])} for role in stages]
