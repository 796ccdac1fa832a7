"""The orchestrator: runs the roles in order for one story."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from agents.pipeline import cultural, editor, emotion, planner
from agents.pipeline.types import Checkpoint, PipelineListener, PipelineResult, StoryRequest
from agents.pipeline.writer import Writer
from agents.runtime import get_runtime
from analysis import culture
from analysis.text import word_count

logger = logging.getLogger(__name__)


def _detected_elements(content: str) -> list[dict[str, Any]]:
    return [
        {
            "id": element.id,
            "name": element.name_en,
            "name_te": element.name_te,
            "category": element.category,
            "mentions": element.mentions,
            "confidence": round(element.confidence, 4),
        }
        for element in culture.detect_elements(content)
    ]


def run_pipeline(story_id: str, request: StoryRequest, checkpoint: Checkpoint, listener: PipelineListener) -> PipelineResult:
    """Plan, choose cultural elements, write, analyze and measure one story.

    A checkpoint from an interrupted attempt is honoured: a saved plan is reused
    and the writer continues the saved text instead of starting over.

    Raises ModelUnavailable or PromptTooLong from the runtime, and
    PipelineCancelled when the listener requests a stop.
    """
    runtime = get_runtime()
    plan = dict(checkpoint.plan)

    if "beats" not in plan:
        listener.stage_started("planner")
        plan = planner.plan_story(story_id, request, runtime)
        listener.stage_finished("planner", plan["title"])

    if "cultural_elements" not in plan:
        listener.stage_started("cultural")
        plan["cultural_elements"] = cultural.choose_elements(story_id, request, plan)
        listener.stage_finished("cultural", ", ".join(element["name_en"] for element in plan["cultural_elements"]))
    listener.checkpoint(plan, checkpoint.content)

    listener.stage_started("writer")
    written = Writer(story_id, request, plan, plan["cultural_elements"], runtime, listener).write(checkpoint.content)
    listener.stage_finished("writer", f"{word_count(written.content)} words")

    listener.stage_started("emotion")
    emotions = emotion.analyze(story_id, written.content)
    listener.stage_finished("emotion", emotions.report.dominant or "none")

    listener.stage_started("editor")
    review = editor.review(story_id, request, written.content, written.mean_logprob, emotions.report.scores)
    listener.stage_finished("editor", f"{review.score:.3f}")

    return PipelineResult(
        title=plan["title"],
        content=written.content,
        plan=plan,
        emotions=emotions.emotions,
        emotional_arc=emotions.arc,
        cultural_elements=_detected_elements(written.content),
        quality_score=review.score,
        quality_components=review.components,
        word_count=word_count(written.content),
        model=Path(runtime.info()["path"]).name,
    )
