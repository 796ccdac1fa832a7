"""The generation job body: claim the story, run the pipeline, store the result.

The Celery task in ``stories.tasks`` only calls ``run_generation``; keeping the
body here lets the command line and tests run exactly the same code.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.services import record_story_result
from agents import monitoring
from agents.pipeline import PipelineCancelled, run_pipeline
from agents.pipeline.types import Checkpoint, PipelineResult, StoryRequest
from agents.runtime import ModelUnavailable, PromptTooLong
from analysis.text import paragraphs, word_count
from stories import events
from stories.models import Story, StoryStatus, StoryVersion
from stories.search import story_search_text

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
CANCEL_CHECK_SECONDS = 0.5
# A running job touches its story at least this often while the model samples,
# so recovery can tell a slow step from a dead worker.
HEARTBEAT_SECONDS = 15.0


class StoryListener:
    """Publishes the job's progress events, saves its text as it streams and notices cancellation.

    Each text delta is appended to ``Story.content`` in the transaction that stores
    its event, so the saved content always equals the deltas joined, and a crash
    loses nothing that was already streamed.
    """

    def __init__(self, story_id: str) -> None:
        self.story_id = story_id
        self._last_cancel_check = 0.0
        self._last_heartbeat = time.monotonic()
        self._cancelled = False

    def stage_started(self, role: str) -> None:
        logger.info("Story %s: %s started", self.story_id, role)
        events.publish(self.story_id, events.STAGE_STARTED, {"role": role})

    def text(self, delta: str) -> None:
        with transaction.atomic():
            if events.publish(self.story_id, events.TEXT_DELTA, {"text": delta}) is None:
                # Cancelled or deleted: the text goes nowhere, and should_stop ends the job.
                self._cancelled = True
                return
            self._append(delta)

    def _append(self, delta: str) -> None:
        """Append ``delta`` to the saved content; call inside the transaction that published it."""
        title, content = Story.objects.filter(pk=self.story_id).values_list("title", "content").get()
        content += delta
        Story.objects.filter(pk=self.story_id).update(
            content=content, search_text=story_search_text(title, content), updated_at=timezone.now()
        )

    def stage_finished(self, role: str, summary: str) -> None:
        logger.info("Story %s: %s finished: %s", self.story_id, role, summary)
        events.publish(self.story_id, events.STAGE_FINISHED, {"role": role, "summary": summary})

    def checkpoint(self, plan: dict[str, Any], content: str) -> None:
        # The row is locked while its title is read, so a rename by the owner
        # between the read and the write cannot be overwritten with the plan's title.
        with transaction.atomic():
            locked = Story.objects.select_for_update().filter(pk=self.story_id)
            current = locked.values_list("title", "content").first()
            if current is None:
                return
            current_title, saved = current
            if saved != content:
                # text() saves every delta, so the two can differ only if the
                # pipeline wrote text it did not stream; the streamed text is kept.
                logger.error(
                    "Story %s: checkpoint text (%d chars) differs from the streamed text (%d chars)",
                    self.story_id,
                    len(content),
                    len(saved),
                )
            title = _kept_title(current_title, plan.get("title", ""))
            Story.objects.filter(pk=self.story_id).update(
                plan=plan, title=title, search_text=story_search_text(title, saved), updated_at=timezone.now()
            )
            events.publish(self.story_id, events.CHECKPOINT, checkpoint_data(title, saved))

    def should_stop(self) -> bool:
        """Return whether the story was cancelled or deleted. The model calls this between tokens.

        It reads the story's status at most every CANCEL_CHECK_SECONDS, and touches
        ``updated_at`` every HEARTBEAT_SECONDS, so a step that streams no text for a
        while (a refiner sentence, a slow machine) is not taken for a dead job.
        """
        now = time.monotonic()
        if not self._cancelled and now - self._last_cancel_check >= CANCEL_CHECK_SECONDS:
            self._last_cancel_check = now
            status = Story.objects.filter(pk=self.story_id).values_list("status", flat=True).first()
            self._cancelled = status in (None, StoryStatus.CANCELLED)
        if not self._cancelled and now - self._last_heartbeat >= HEARTBEAT_SECONDS:
            self._last_heartbeat = now
            Story.objects.filter(pk=self.story_id, status=StoryStatus.RUNNING).update(updated_at=timezone.now())
        return self._cancelled


def checkpoint_data(title: str, content: str) -> dict[str, Any]:
    """Return the data of a ``checkpoint`` event: the title and the size of the text saved so far."""
    return {"title": title, "word_count": word_count(content), "paragraphs": len(paragraphs(content))}


def _kept_title(current_title: str, planned_title: str) -> str:
    """Return the story's title after a job writes: one already set (by the owner, say) wins over the plan's."""
    return current_title or planned_title


def stale_job_cutoff(now: datetime | None = None) -> datetime:
    """Return the time before which a ``running`` story's last touch shows that its job is gone.

    Text deltas, checkpoints and the listener's heartbeat touch ``updated_at``. So a
    live job's story is never older than the longest stretch in which the job
    samples no token, which STORYENGINE_STALE_JOB_SECONDS must exceed. Such
    stretches are a model load, a prompt evaluation and the planner's title call,
    which never checks for cancellation.
    """
    return (now or timezone.now()) - timedelta(seconds=settings.STORYENGINE_STALE_JOB_SECONDS)


def _claim(story_id: str) -> Story | None:
    """Move the story to ``running`` for this job, or return None when another outcome applies.

    Returns None, with the story unchanged, for a missing or finished story and
    for one that waits for its refinement job. Also for one ``running`` with a
    recent touch, because a live job is writing it and this job is a duplicate delivery.
    A ``running`` story untouched since :func:`stale_job_cutoff` lost its job, so
    this one takes it over and resumes from its checkpoint. A story that used up
    MAX_ATTEMPTS is failed with the reason instead, and None is returned.
    """
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id).first()
        if story is None:
            logger.warning("Story %s not found; nothing to generate", story_id)
            return None
        if story.is_finished:
            logger.info("Story %s is already %s; not generating again", story_id, story.status)
            return None
        if story.pending_refinement:
            logger.info("Story %s waits for its refinement job; not generating it", story_id)
            return None
        if story.status == StoryStatus.RUNNING and story.updated_at >= stale_job_cutoff():
            logger.warning(
                "Story %s is being written by another job (last progress %s); this duplicate job stops",
                story_id,
                story.updated_at.isoformat(),
            )
            return None
        if story.attempts >= MAX_ATTEMPTS:
            story.status = StoryStatus.FAILED
            story.error = f"Generation stopped after {story.attempts} interrupted attempts. Try again."
            story.finished_at = timezone.now()
            story.save(update_fields=["status", "error", "finished_at", "updated_at"])
            events.publish(story_id, events.FAILED, {"error": story.error})
            logger.error("Story %s failed: %s", story_id, story.error)
            return None
        if story.status == StoryStatus.RUNNING:
            logger.warning("Story %s: no progress since %s; taking over its job", story_id, story.updated_at.isoformat())
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
    """Move a story that was not cancelled to ``status`` and publish its ``failed`` event with the error."""
    with transaction.atomic():
        updated = (
            Story.objects.filter(pk=story_id)
            .exclude(status=StoryStatus.CANCELLED)
            .update(status=status, finished_at=timezone.now(), updated_at=timezone.now(), **fields)
        )
        if updated and status == StoryStatus.FAILED:
            events.publish(story_id, events.FAILED, {"error": fields.get("error", "")})


def _complete(story_id: str, result: PipelineResult, seconds: float, claimed: Story, resumed: bool) -> Story | None:
    """Store the finished text and scores and write them as version 1, in one transaction.

    Returns the completed story. Returns None, writing nothing, when the story
    was cancelled or deleted while the pipeline ran.
    """
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id).first()
        if story is None or story.status == StoryStatus.CANCELLED:
            return None
        story.title = _kept_title(story.title, result.title)
        if result.content != story.content:
            # The saved content is the streamed text, which clients have already
            # joined; it stays. A difference means the pipeline wrote text it did not stream.
            logger.error(
                "Story %s: the pipeline's text (%d chars) differs from the streamed text (%d chars)",
                story_id,
                len(result.content),
                len(story.content),
            )
        story.plan = result.plan
        story.emotions = result.emotions
        story.cultural_elements = result.cultural_elements
        story.quality_score = result.quality_score
        story.word_count = result.word_count
        story.generation_time = round(seconds, 3)
        story.metadata = {
            "title": story.title,
            "word_count": result.word_count,
            "target_length": claimed.target_length,
            "model": result.model,
            "seed": int((claimed.advanced_options or {}).get("seed", 0)),
            "quality_components": result.quality_components,
            "emotional_arc": result.emotional_arc,
            "attempts": claimed.attempts,
            "resumed": resumed,
        }
        story.status = StoryStatus.COMPLETED
        story.error = ""
        story.finished_at = timezone.now()
        story.version = 1
        story.save()
        StoryVersion.snapshot(story).save()
        events.publish(story_id, events.COMPLETED, events.completed_data(story_id))
        # In the same transaction, so a client that reads the story as completed
        # also finds it counted in the owner's statistics.
        record_story_result(
            story.owner_id,
            status=StoryStatus.COMPLETED,
            story_type=story.story_type,
            cultural_context=story.cultural_context,
            word_count=result.word_count,
            quality_score=result.quality_score,
            emotions=[item["emotion"] for item in result.emotions if item["score"] > 0],
            generation_seconds=seconds,
        )
    return story


def _generation_seconds(claimed: Story, attempt_seconds: float) -> float:
    """Return the story's ``generation_time``: seconds from its first attempt's start to now.

    For a story written in one attempt that is the attempt's own time. For a story
    resumed after its job died it is now - ``started_at`` (set by the first claim),
    so it includes the time the story waited to be picked up again.
    """
    if claimed.attempts <= 1 or claimed.started_at is None:
        return attempt_seconds
    return max(attempt_seconds, (timezone.now() - claimed.started_at).total_seconds())


def run_generation(story_id: str) -> None:
    """Generate one story; safe to call again for the same id.

    A finished story is left alone; a story with saved text resumes from its
    checkpoint (the plan and the paragraphs already written are kept).
    """
    story = _claim(story_id)
    if story is None:
        return

    started = time.monotonic()
    monitoring.announce_job("generation", story_id, monitoring.JOB_STARTED, attempt=story.attempts)
    try:
        _generate(story_id, story, started)
    finally:
        monitoring.announce_job("generation", story_id, monitoring.JOB_FINISHED, seconds=time.monotonic() - started)


def _generate(story_id: str, story: Story, started: float) -> None:
    """Run the pipeline for a claimed story and store its outcome (the body of :func:`run_generation`)."""
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

        record_story_result(
            story.owner_id,
            status=StoryStatus.FAILED,
            story_type=story.story_type,
            cultural_context=story.cultural_context,
            generation_seconds=time.monotonic() - started,
        )
        return
    except Exception:
        if not Story.objects.filter(pk=story_id).exists():
            # Deleting a story mid-step makes the step's AgentRun write fail on its
            # foreign key; that is the owner's delete, not a fault of the job.
            logger.info(
                "Story %s: deleted while its job ran; job stopped after %.1f s", story_id, time.monotonic() - started
            )
            return
        logger.exception("Story %s: unexpected error in the generation job", story_id)
        _finish(story_id, StoryStatus.FAILED, error="Generation failed because of an internal error; try again.")

        record_story_result(
            story.owner_id,
            status=StoryStatus.FAILED,
            story_type=story.story_type,
            cultural_context=story.cultural_context,
            generation_seconds=time.monotonic() - started,
        )
        return

    seconds = _generation_seconds(story, time.monotonic() - started)
    if _complete(story_id, result, seconds, story, resumed) is None:
        logger.info("Story %s: cancelled or deleted before its result was stored; result dropped", story_id)
        return
    logger.info(
        "Story %s: completed in %.1f s (%d words, quality %.3f)", story_id, seconds, result.word_count, result.quality_score
    )
