"""Start-up recovery for the embedded mode, where jobs die with the server."""

from __future__ import annotations

import logging

from django.db import DatabaseError

from storyengine.jobs import submit_now
from stories.models import Story, StoryStatus

logger = logging.getLogger(__name__)


def recover_unfinished_stories() -> int:
    """Dispatch again every story left ``queued`` or ``running`` by a stopped server.

    The job resumes each from its checkpoint, or fails it with a reason once its
    attempts are used up. Returns how many stories were dispatched.
    """
    from stories.tasks import generate_story

    try:
        story_ids = list(
            Story.objects.filter(status__in=[StoryStatus.QUEUED, StoryStatus.RUNNING]).values_list("id", flat=True)
        )
    except DatabaseError as exc:
        logger.warning("Skipped recovery of unfinished stories: %s (run migrate first)", exc)
        return 0
    for story_id in story_ids:
        submit_now(generate_story, str(story_id))
    if story_ids:
        logger.info("Recovered %d unfinished stories: %s", len(story_ids), ", ".join(map(str, story_ids)))
    return len(story_ids)
