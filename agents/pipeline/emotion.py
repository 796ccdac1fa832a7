"""The emotion agent: rasa scores and the arc of the finished text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.pipeline.recorder import AgentStep
from analysis import rasa
from storyengine.vocabulary import RASA_TELUGU, Rasa


@dataclass
class EmotionOutput:
    emotions: list[dict[str, Any]]
    arc: list[dict[str, Any]]
    report: rasa.EmotionReport


def analyze(story_id: str, content: str) -> EmotionOutput:
    """Run the emotion step: lexicon scores per rasa, strongest first, and the per-paragraph arc."""
    with AgentStep(story_id, "emotion") as step:
        report = rasa.analyze_emotions(content)
        emotions = [
            {
                "emotion": name,
                "score": round(score, 4),
                "label_en": str(Rasa(name).label),
                "label_te": RASA_TELUGU[name],
                "confidence": round(report.confidence.get(name, 0.0), 4),
            }
            for name, score in sorted(report.scores.items(), key=lambda item: item[1], reverse=True)
        ]
        arc = [
            {"position": point.position, "segment": point.segment, "emotion": point.emotion, "intensity": point.intensity}
            for point in report.arc
        ]
        step.summary = f"dominant {report.dominant or 'none'} over {len(report.paragraphs)} paragraphs"
        step.details["matched_terms"] = report.matched_terms
        return EmotionOutput(emotions=emotions, arc=arc, report=report)
