"""Story use cases shared by every entry point: REST, the command line, later the pages."""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from agents.runtime import check_model_available
from storyengine.api.errors import ServiceUnavailable
from storyengine.jobs import dispatch_on_commit
from stories.models import Story

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25


@dataclass(frozen=True)
class GenerationParams:
    prompt: str
    story_type: str
    cultural_context: str
    target_length: int
    emotion_focus: list[str] = field(default_factory=list)
    style_preferences: dict[str, Any] = field(default_factory=dict)
    advanced_options: dict[str, Any] = field(default_factory=dict)


class StoryNotFound(Exception):
    pass


class StoryForbidden(Exception):
    pass


def start_generation(owner, params: GenerationParams) -> Story:
    """Create a queued story and dispatch its job once the row is committed.

    Raises ServiceUnavailable (503) when the model cannot be loaded, before any
    row is written, so a writer is not left with a story that can never finish.
    """
    available, reason = check_model_available()
    if not available:
        logger.warning("Generation rejected for user %s: model unavailable: %s", owner.pk, reason)
        raise ServiceUnavailable(f"The story model is unavailable: {reason}", retry_after=60)

    from stories.tasks import generate_story

    advanced = dict(params.advanced_options)
    advanced.setdefault("seed", random.SystemRandom().randrange(0, 2**31))
    with transaction.atomic():
        story = Story.objects.create(
            owner=owner,
            prompt=params.prompt,
            story_type=params.story_type,
            cultural_context=params.cultural_context,
            emotion_focus=list(params.emotion_focus),
            target_length=params.target_length,
            style_preferences=params.style_preferences,
            advanced_options=advanced,
        )
        dispatch_on_commit(generate_story, str(story.id))
    logger.info("Story %s queued for user %s (%d words, %s)", story.id, owner.pk, story.target_length, story.story_type)
    return story


def wait_for_story(story_id: uuid.UUID, timeout: float) -> Story:
    """Poll the story row until its job finishes or ``timeout`` seconds pass.

    Polling the database works the same for the in-process executor and for
    remote workers, which share nothing else with the request.
    """
    deadline = time.monotonic() + timeout
    while True:
        story = Story.objects.get(pk=story_id)
        if story.is_finished or time.monotonic() >= deadline:
            return story
        time.sleep(POLL_SECONDS)


def get_story_for_reader(user, story_id: uuid.UUID) -> Story:
    """Return a story the user may read: their own, or anyone's public one.

    Raises StoryNotFound for an unknown id and StoryForbidden for another
    writer's private story.
    """
    story = Story.objects.filter(pk=story_id).first()
    if story is None:
        raise StoryNotFound(story_id)
    if story.owner_id != user.pk and not story.is_public:
        raise StoryForbidden(story_id)
    return story


def get_owned_story(user, story_id: uuid.UUID) -> Story:
    story = Story.objects.owned_by(user).filter(pk=story_id).first()
    if story is None:
        raise StoryNotFound(story_id)
    return story
