"""The generation job body: claim the story, run the pipeline, store the result.

The Celery task in ``stories.tasks`` only calls ``run_generation``; keeping the
body here lets the command line and tests run exactly the same code.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from agents.pipeline import PipelineCancelled, run_pipeline
from agents.pipeline.types import Checkpoint, StoryRequest
from agents.runtime import ModelUnavailable, PromptTooLong
from stories.models import Story, StoryStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
CANCEL_CHECK_SECONDS = 0.5


class StoryListener:
    """Checkpoints text to the story row and notices cancellation."""

    def __init__(self, story_id: str) -> None:
        self.story_id = story_id
        self._last_cancel_check = 0.0
        self._cancelled = False

    def stage_started(self, role: str) -> None:
        logger.info("Story %s: %s started", self.story_id, role)

    def text(self, delta: str) -> None:
        pass

    def stage_finished(self, role: str, summary: str) -> None:
        logger.info("Story %s: %s finished: %s", self.story_id, role, summary)

    def checkpoint(self, plan: dict[str, Any], content: str) -> None:
        Story.objects.filter(pk=self.story_id).update(
            plan=plan, title=plan.get("title", ""), content=content, updated_at=timezone.now()
        )

    def should_stop(self) -> bool:
        now = time.monotonic()
        if not self._cancelled and now - self._last_cancel_check >= CANCEL_CHECK_SECONDS:
            self._last_cancel_check = now
            status = Story.objects.filter(pk=self.story_id).values_list("status", flat=True).first()
            self._cancelled = status in (None, StoryStatus.CANCELLED)
        return self._cancelled


def _claim(story_id: str) -> Story | None:
    """Move the story to ``running`` unless it is finished, missing or out of attempts."""
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id).first()
        if story is None:
            logger.warning("Story %s not found; nothing to generate", story_id)
            return None
        if story.is_finished:
            logger.info("Story %s is already %s; not generating again", story_id, story.status)
            return None
        if story.attempts >= MAX_ATTEMPTS:
            story.status = StoryStatus.FAILED
            story.error = f"Generation stopped after {story.attempts} interrupted attempts."
            story.finished_at = timezone.now()
            story.save(update_fields=["status", "error", "finished_at", "updated_at"])
            logger.error("Story %s failed: %s", story_id, story.error)
            return None
        story.status = StoryStatus.RUNNING
        story.attempts += 1
        story.started_at = story.started_at or timezone.now()
        story.save(update_fields=["status", "attempts", "started_at", "updated_at"])
        return story


def _request_for(story: Story) -> StoryRequest:
    options = story.advanced_options or {}
    sampling = {key: options[key] for key in ("temperature", "top_p", "top_k", "repeat_penalty") if key in options}
    return StoryRequest(
        prompt=story.prompt,
        story_type=story.story_type,
        cultural_context=story.cultural_context,
        emotion_focus=tuple(story.emotion_focus or ()),
        target_length=story.target_length,
        seed=int(options.get("seed", 0)),
        sampling=sampling,
    )


def _finish(story_id: str, status: str, **fields: Any) -> None:
    Story.objects.filter(pk=story_id).exclude(status=StoryStatus.CANCELLED).update(
        status=status, finished_at=timezone.now(), updated_at=timezone.now(), **fields
    )


def run_generation(story_id: str) -> None:
    """Generate one story; safe to call again for the same id.

    A finished story is left alone; a story with saved text resumes from its
    checkpoint (the plan and the paragraphs already written are kept).
    """
    story = _claim(story_id)
    if story is None:
        return

    started = time.monotonic()
    resumed = bool(story.content)
    logger.info("Story %s: job started (attempt %d%s)", story_id, story.attempts, ", resuming" if resumed else "")
    listener = StoryListener(story_id)
    try:
        result = run_pipeline(
            story_id,
            _request_for(story),
            Checkpoint(plan=story.plan or {}, content=story.content),
            listener,
        )
    except PipelineCancelled:
        logger.info("Story %s: cancelled after %.1f s", story_id, time.monotonic() - started)
        return
    except (ModelUnavailable, PromptTooLong) as exc:
        logger.warning("Story %s failed: %s", story_id, exc)
        _finish(story_id, StoryStatus.FAILED, error=str(exc))
        return
    except Exception:
        logger.exception("Story %s: unexpected error in the generation job", story_id)
        _finish(story_id, StoryStatus.FAILED, error="Generation failed because of an internal error; try again.")
        return

    seconds = time.monotonic() - started
    _finish(
        story_id,
        StoryStatus.COMPLETED,
        title=result.title,
        content=result.content,
        plan=result.plan,
        emotions=result.emotions,
        cultural_elements=result.cultural_elements,
        quality_score=result.quality_score,
        word_count=result.word_count,
        generation_time=round(seconds, 3),
        metadata={
            "title": result.title,
            "word_count": result.word_count,
            "target_length": story.target_length,
            "model": result.model,
            "seed": int((story.advanced_options or {}).get("seed", 0)),
            "quality_components": result.quality_components,
            "emotional_arc": result.emotional_arc,
            "attempts": story.attempts,
            "resumed": resumed,
        },
        error="",
    )
    logger.info(
        "Story %s: completed in %.1f s (%d words, quality %.3f)", story_id, seconds, result.word_count, result.quality_score
    )
