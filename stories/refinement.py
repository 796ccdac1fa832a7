"""Refinement of a finished story into a new version, through the same job path as generation.

The request is stored on the story (``pending_refinement``) and the story goes
back to ``queued``. The Celery task, given only the story id, runs the refiner
and writes the new version. The versions already saved are never touched, so a
failed or interrupted refinement loses nothing: the story stays ``completed``
with its current text, and its ``error`` states why the refinement failed.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from agents.pipeline import PipelineCancelled, quality
from agents.pipeline.refiner import run_refinement
from agents.pipeline.types import PipelineResult, RefinementRequest
from agents.runtime import ModelUnavailable, PromptTooLong, check_model_available
from storyengine.api.errors import Conflict, ServiceUnavailable
from storyengine.jobs import dispatch_on_commit
from stories import events
from stories.jobs import CANCEL_CHECK_SECONDS, MAX_ATTEMPTS, StoryListener, checkpoint_data
from stories.models import Story, StoryStatus, StoryVersion
from stories.search import story_search_text
from stories.services import get_story_for_change

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefinementParams:
    refinement_type: str
    improvements: list[str]
    preserve_elements: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)


def start_refinement(user, story_id: uuid.UUID, params: RefinementParams) -> Story:
    """Queue a refinement of the user's finished story and dispatch it after commit.

    Raises StoryNotFound or StoryForbidden as ``get_story_for_change`` does,
    Conflict (409) while the story is still being written or refined, and
    ServiceUnavailable (503) when the model cannot be loaded.
    """
    available, reason = check_model_available()
    if not available:
        raise ServiceUnavailable(f"The story model is unavailable: {reason}", retry_after=60)

    from stories.tasks import refine_story

    with transaction.atomic():
        story = get_story_for_change(user, story_id, lock=True)
        if story.status != StoryStatus.COMPLETED:
            raise Conflict(f"Only a completed story can be refined; this one is {story.status}.")
        story.pending_refinement = {
            "refinement_type": params.refinement_type,
            "improvements": list(params.improvements),
            "preserve_elements": list(params.preserve_elements),
            "parameters": dict(params.parameters),
            "from_version": story.version,
        }
        story.status = StoryStatus.QUEUED
        story.error = ""
        story.attempts = 0
        story.save(update_fields=["pending_refinement", "status", "error", "attempts", "updated_at"])
        dispatch_on_commit(refine_story, str(story.pk))
    logger.info("Story %s: %s refinement queued for user %s", story.pk, params.refinement_type, user.pk)
    return story


class RefinementListener(StoryListener):
    """Like the generation listener, but the story's text is replaced only when the refinement succeeds.

    The text deltas build the new version from empty, starting after the
    refiner's ``stage_started`` event, while ``Story.content`` keeps the current
    version until the ``completed`` event.
    """

    def text(self, delta: str) -> None:
        with transaction.atomic():
            if events.publish(self.story_id, events.TEXT_DELTA, {"text": delta}) is None:
                self._cancelled = True
                return
            # Touching updated_at shows recovery that the job is alive.
            Story.objects.filter(pk=self.story_id).update(updated_at=timezone.now())

    def checkpoint(self, plan: dict[str, Any], content: str) -> None:
        with transaction.atomic():
            title = Story.objects.select_for_update().filter(pk=self.story_id).values_list("title", flat=True).first()
            if title is None:
                return
            Story.objects.filter(pk=self.story_id).update(updated_at=timezone.now())
            events.publish(self.story_id, events.CHECKPOINT, checkpoint_data(title, content))

    def should_stop(self) -> bool:
        # A cancelled refinement returns the story to ``completed``, so any status
        # but ``running`` (or a deleted row) stops the job.
        now = time.monotonic()
        if not self._cancelled and now - self._last_cancel_check >= CANCEL_CHECK_SECONDS:
            self._last_cancel_check = now
            status = Story.objects.filter(pk=self.story_id).values_list("status", flat=True).first()
            self._cancelled = status != StoryStatus.RUNNING
        return self._cancelled


def _claim(story_id: str) -> Story | None:
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id).first()
        if story is None or not story.pending_refinement or story.is_finished:
            return None
        if story.attempts >= MAX_ATTEMPTS:
            _give_up(story, f"Refinement stopped after {story.attempts} interrupted attempts.")
            return None
        story.status = StoryStatus.RUNNING
        story.attempts += 1
        story.save(update_fields=["status", "attempts", "updated_at"])
        return story


REFINEMENT_FAILED = "Refinement failed: "


def _give_up(story: Story, reason: str) -> None:
    """Keep the current version, completed as it was, and record why the refinement did not happen."""
    story.status = StoryStatus.COMPLETED
    story.error = REFINEMENT_FAILED + reason
    story.pending_refinement = {}
    story.finished_at = timezone.now()
    story.save(update_fields=["status", "error", "pending_refinement", "finished_at", "updated_at"])
    events.publish(story.pk, events.FAILED, {"error": story.error})
    logger.warning("Story %s: refinement failed: %s", story.pk, reason)


def _request_for(story: Story) -> RefinementRequest:
    pending = story.pending_refinement
    options = story.advanced_options or {}
    sampling = {key: options[key] for key in ("temperature", "top_p", "top_k", "repeat_penalty") if key in options}
    return RefinementRequest(
        title=story.title,
        content=story.content,
        story_type=story.story_type,
        cultural_context=story.cultural_context,
        emotion_focus=tuple(story.emotion_focus or ()),
        target_length=story.target_length,
        refinement_type=pending["refinement_type"],
        improvements=tuple(pending["improvements"]),
        preserve_elements=tuple(pending["preserve_elements"]),
        parameters=dict(pending["parameters"]),
        seed=int(options.get("seed", 0)) + story.version,
        sampling=sampling,
        plan=story.plan or {},
    )


def _measured_quality(result: PipelineResult, previous: dict[str, float]) -> tuple[dict[str, float], float]:
    """Return the version's quality parts and score.

    A refinement that sampled no token (polishing that only removes or respaces
    text) has no fluency of its own, so the version keeps the fluency of the text
    it came from. Otherwise the score would be taken over fewer parts and would
    not be comparable with the previous version's.
    """
    components = dict(result.quality_components)
    if "fluency" not in components and "fluency" in previous:
        components["fluency"] = previous["fluency"]
    return components, quality.quality_score(components)


def _save_version(story_id: str, result: PipelineResult, seconds: float, started_at) -> Story | None:
    """Write the refined text as the next version and make it the story's current text."""
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id).first()
        # Cancelling a refinement returns the story to ``completed`` without the pending request.
        if story is None or story.status != StoryStatus.RUNNING or not story.pending_refinement:
            return None
        pending = story.pending_refinement
        components, score = _measured_quality(result, (story.metadata or {}).get("quality_components") or {})
        story.version += 1
        story.content = result.content
        story.emotions = result.emotions
        story.cultural_elements = result.cultural_elements
        story.quality_score = score
        story.word_count = result.word_count
        story.search_text = story_search_text(story.title, result.content)
        story.metadata = {
            **(story.metadata or {}),
            "word_count": result.word_count,
            "model": result.model,
            "quality_components": components,
            "emotional_arc": result.emotional_arc,
            "refinement": {
                "type": pending["refinement_type"],
                "from_version": pending["from_version"],
                "started_at": started_at.isoformat(),
                "seconds": round(seconds, 3),
                "changes": result.plan.get("refinement_changes", []),
            },
        }
        story.pending_refinement = {}
        story.status = StoryStatus.COMPLETED
        story.error = ""
        story.finished_at = timezone.now()
        story.save()
        StoryVersion.snapshot(
            story,
            refinement_type=pending["refinement_type"],
            improvements=pending["improvements"],
            preserve_elements=pending["preserve_elements"],
        ).save()
        events.publish(story_id, events.COMPLETED, events.completed_data(story_id))
    return story


def run_refinement_job(story_id: str) -> None:
    """Refine one story into its next version; safe to call again for the same id."""
    story = _claim(story_id)
    if story is None:
        return

    started = time.monotonic()
    started_at = timezone.now()
    refinement_type = story.pending_refinement["refinement_type"]
    logger.info("Story %s: %s refinement started (attempt %d)", story_id, refinement_type, story.attempts)
    try:
        result = run_refinement(story_id, _request_for(story), RefinementListener(story_id))
    except PipelineCancelled:
        logger.info("Story %s: refinement cancelled after %.1f s", story_id, time.monotonic() - started)
        return
    except (ModelUnavailable, PromptTooLong) as exc:
        with transaction.atomic():
            current = Story.objects.select_for_update().filter(pk=story_id).first()
            if current is not None and current.status == StoryStatus.RUNNING:
                _give_up(current, str(exc))
        return
    except Exception:
        if not Story.objects.filter(pk=story_id).exists():
            logger.info("Story %s: deleted while being refined", story_id)
            return
        logger.exception("Story %s: unexpected error in the refinement job", story_id)
        with transaction.atomic():
            current = Story.objects.select_for_update().filter(pk=story_id).first()
            if current is not None and current.status == StoryStatus.RUNNING:
                _give_up(current, "an internal error; the previous version is kept.")
        return

    seconds = time.monotonic() - started
    saved = _save_version(story_id, result, seconds, started_at)
    if saved is not None:
        logger.info(
            "Story %s: version %d written by %s refinement in %.1f s (quality %.3f)",
            story_id,
            saved.version,
            refinement_type,
            seconds,
            saved.quality_score,
        )
