"""Recovery of story jobs that died with their process or whose message was lost.

Embedded mode runs jobs inside the server process, so on start-up every story
left ``queued`` or ``running`` is dispatched again. Distributed mode runs
:func:`find_stale_jobs` from celery beat instead, because a worker may die
while the server and the other workers go on.

A job shows it is alive by touching ``Story.updated_at``: every text delta and
checkpoint does. A ``running`` story untouched for STORYENGINE_STALE_JOB_SECONDS
has lost its job. Dispatching a job twice is harmless, because the job claims
its story under a row lock and leaves alone a story that is finished or still
being written by a live job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import Task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from storyengine.jobs import submit_now
from stories import events
from stories.jobs import MAX_ATTEMPTS, stale_job_cutoff
from stories.models import FINISHED_STATUSES, Story, StoryEvent, StoryStatus

logger = logging.getLogger(__name__)


@dataclass
class StaleJobReport:
    """The story ids that one run of :func:`find_stale_jobs` acted on."""

    requeued: list[str] = field(default_factory=list)
    redispatched: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"requeued": self.requeued, "redispatched": self.redispatched, "failed": self.failed}


def job_task_for(story: Story) -> Task:
    """Return the task that finishes ``story``: its pending refinement, or its generation."""
    from stories.tasks import generate_story, refine_story

    return refine_story if story.pending_refinement else generate_story


def release_orphaned_story(story_id: str) -> bool:
    """Move a ``running`` story back to ``queued`` because the job that claimed it is known to be dead.

    Called for a message the broker delivers again after its worker process died
    without acknowledging it, and at start-up in embedded mode. The next claim
    then resumes the story from its checkpoint. Returns whether the story was running.
    """
    released = Story.objects.filter(pk=story_id, status=StoryStatus.RUNNING).update(
        status=StoryStatus.QUEUED, updated_at=timezone.now()
    )
    if released:
        logger.warning("Story %s: its previous job died; queued again to resume from its checkpoint", story_id)
    return bool(released)


def recover_unfinished_stories() -> int:
    """Dispatch again every story left ``queued`` or ``running`` by a stopped server (embedded mode).

    Each job resumes its story from the checkpoint, or fails it with a reason once
    its attempts are used up. Returns how many stories were dispatched.
    """
    try:
        stories = list(
            Story.objects.filter(status__in=[StoryStatus.QUEUED, StoryStatus.RUNNING]).only(
                "id", "status", "pending_refinement"
            )
        )
    except DatabaseError as exc:
        logger.warning("Skipped recovery of unfinished stories: %s (run migrate first)", exc)
        return 0
    for story in stories:
        # In embedded mode every job runs in this process, so one still marked
        # running belongs to a server that has stopped.
        if story.status == StoryStatus.RUNNING:
            release_orphaned_story(str(story.pk))
        submit_now(job_task_for(story), str(story.pk))
    if stories:
        logger.info("Recovered %d unfinished stories: %s", len(stories), ", ".join(str(story.pk) for story in stories))
    return len(stories)


def find_stale_jobs(now: datetime | None = None) -> StaleJobReport:
    """Dispatch again, or fail, the stories whose job is gone.

    - ``running`` and untouched for STORYENGINE_STALE_JOB_SECONDS: its worker died.
      With attempts left the story goes back to ``queued`` and a new job resumes
      it from its checkpoint. A generation whose MAX_ATTEMPTS are used up fails
      here with the reason, since no job is left to do it. A refinement out of
      attempts is dispatched as well, and its job keeps the current version and
      records why the refinement failed.
    - ``queued`` and untouched for STORYENGINE_QUEUED_JOB_TIMEOUT: its message may
      be lost (the broker was down when it was sent, or Redis lost its data). It
      is dispatched again. If the first message was only slow, the second job
      finds the story claimed or finished and does nothing.

    Each change is a conditional update on the timestamp that was read, so a job
    that touches its story meanwhile keeps it.
    """
    now = now or timezone.now()
    report = StaleJobReport()

    stale_before = stale_job_cutoff(now)
    for story in Story.objects.filter(status=StoryStatus.RUNNING, updated_at__lt=stale_before).only(
        "id", "attempts", "pending_refinement", "updated_at"
    ):
        story_id = str(story.pk)
        still_stale = Story.objects.filter(pk=story.pk, status=StoryStatus.RUNNING, updated_at__lt=stale_before)
        if story.attempts >= MAX_ATTEMPTS and not story.pending_refinement:
            error = (
                f"Generation stopped after {story.attempts} interrupted attempts: the worker writing it stopped "
                f"responding. Try again."
            )
            with transaction.atomic():
                if not still_stale.update(status=StoryStatus.FAILED, error=error, finished_at=now, updated_at=now):
                    continue
                events.publish(story_id, events.FAILED, {"error": error})
            logger.error("Story %s failed: %s", story_id, error)
            report.failed.append(story_id)
            continue
        if still_stale.update(status=StoryStatus.QUEUED, updated_at=now):
            logger.warning(
                "Story %s: no progress since %s (attempt %d); queued again", story_id, story.updated_at, story.attempts
            )
            submit_now(job_task_for(story), story_id)
            report.requeued.append(story_id)

    queued_before = now - timedelta(seconds=settings.STORYENGINE_QUEUED_JOB_TIMEOUT)
    for story in Story.objects.filter(status=StoryStatus.QUEUED, updated_at__lt=queued_before).only(
        "id", "pending_refinement", "updated_at"
    ):
        story_id = str(story.pk)
        # Touching updated_at spaces out the repeats: one more message per timeout at most.
        touched = Story.objects.filter(pk=story.pk, status=StoryStatus.QUEUED, updated_at=story.updated_at).update(
            updated_at=now
        )
        if touched:
            logger.warning("Story %s: queued since %s without a job starting; dispatched again", story_id, story.updated_at)
            submit_now(job_task_for(story), story_id)
            report.redispatched.append(story_id)

    if report.requeued or report.redispatched or report.failed:
        logger.info(
            "Stale jobs: %d requeued, %d dispatched again, %d failed",
            len(report.requeued),
            len(report.redispatched),
            len(report.failed),
        )
    return report


def prune_story_events(now: datetime | None = None) -> int:
    """Delete the progress events of finished stories older than STORYENGINE_EVENT_RETENTION_DAYS.

    Events of a story that is still queued or running are kept whatever their age,
    because its readers may still replay them. Returns how many rows were deleted.
    NOTE: only celery beat runs this, so embedded mode keeps every event.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.STORYENGINE_EVENT_RETENTION_DAYS)
    deleted, _ = StoryEvent.objects.filter(created_at__lt=cutoff, story__status__in=FINISHED_STATUSES).delete()
    if deleted:
        logger.info("Pruned %d story events older than %s", deleted, cutoff.isoformat())
    return deleted
