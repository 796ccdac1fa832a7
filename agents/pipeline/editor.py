"""The editor: measures the finished story."""

from __future__ import annotations

from dataclasses import dataclass

from agents.pipeline import quality
from agents.pipeline.recorder import AgentStep
from agents.pipeline.types import StoryRequest


@dataclass
class EditorOutput:
    score: float
    components: dict[str, float]


def review(story_id: str, request: StoryRequest, content: str, mean_logprob: float | None, scores: dict[str, float]) -> EditorOutput:
    """Run the editor step: compute the quality components and the score.

    NOTE: the editor measures only; rewriting weak passages is not built yet.
    """
    with AgentStep(story_id, "editor") as step:
        components = quality.quality_components(content, request.target_length, mean_logprob, scores, request.emotion_focus)
        score = quality.quality_score(components)
        step.summary = f"quality {score:.3f}"
        step.details["quality_components"] = components
        return EditorOutput(score=score, components=components)
