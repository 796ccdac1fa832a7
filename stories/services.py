"""Story use cases shared by every entry point: REST, the command line, later the pages."""

from __future__ import annotations

import logging
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, OrderBy, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from agents.runtime import check_model_available
from analysis.text import cut_text
from storyengine.api.errors import Conflict, ServiceUnavailable
from storyengine.jobs import dispatch_on_commit
from stories import events
from stories.models import Story, StoryStatus, StoryVersion
from stories.search import search_key

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25

# Any fixed 64-bit number works; it names the lock that serializes "count the queue, then add to it".
JOB_QUEUE_LOCK_KEY = 0x53746F7279517565
# How many recent jobs the Retry-After of a full queue averages, and its value before any job finished.
RETRY_AFTER_SAMPLE = 20
# NOTE: a guess, used only until the first story completes.
QUEUE_FULL_DEFAULT_RETRY_AFTER = 60

# Excerpts in story lists: at most this many code points, the ellipsis included.
EXCERPT_CHARS = 160
EXCERPT_ELLIPSIS = "…"

SORT_ORDERS: dict[str, tuple[OrderBy, ...]] = {
    "created_desc": (F("created_at").desc(), F("id").desc()),
    "created_asc": (F("created_at").asc(), F("id").asc()),
    "quality_desc": (F("quality_score").desc(nulls_last=True), F("created_at").desc(), F("id").desc()),
    "quality_asc": (F("quality_score").asc(nulls_last=True), F("created_at").asc(), F("id").asc()),
}
DEFAULT_SORT = "created_desc"


@dataclass(frozen=True)
class GenerationParams:
    prompt: str
    story_type: str
    cultural_context: str
    target_length: int
    emotion_focus: list[str] = field(default_factory=list)
    style_preferences: dict[str, Any] = field(default_factory=dict)
    advanced_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryListQuery:
    """A validated request for one page of a writer's stories."""

    page: int = 1
    limit: int = 20
    story_type: str | None = None
    cultural_context: str | None = None
    sort_by: str = DEFAULT_SORT
    search: str = ""


@dataclass(frozen=True)
class StoryListItem:
    story_id: uuid.UUID
    title: str
    excerpt: str
    story_type: str
    cultural_context: str
    status: str
    quality_score: float | None
    word_count: int
    is_public: bool
    created_at: datetime


@dataclass(frozen=True)
class Page:
    """One page of a list; ``total_pages`` = ceil(total / limit), 0 for an empty list."""

    items: list[Any]
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.limit)


@dataclass(frozen=True)
class StoryChanges:
    """The fields an owner may change on a story; None leaves a field as it is."""

    title: str | None = None
    is_public: bool | None = None


class StoryNotFound(Exception):
    pass


class StoryForbidden(Exception):
    pass


class VersionNotFound(Exception):
    pass


def start_generation(owner, params: GenerationParams) -> Story:
    """Create a queued story and dispatch its job once the row is committed.

    Raises ServiceUnavailable (503) when the model cannot be loaded, before any
    row is written, so a writer is not left with a story that can never finish,
    and when the job queue is full (see :func:`reserve_queue_slot`).
    """
    available, reason = check_model_available()
    if not available:
        logger.warning("Generation rejected for user %s: model unavailable: %s", owner.pk, reason)
        raise ServiceUnavailable(f"The story model is unavailable: {reason}", retry_after=60)

    from stories.tasks import generate_story

    advanced = dict(params.advanced_options)
    advanced.setdefault("seed", random.SystemRandom().randrange(0, 2**31))
    with transaction.atomic():
        reserve_queue_slot(owner)
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


CANCELLED_BY_OWNER = "Cancelled by its owner."
REFINEMENT_CANCELLED = "Refinement cancelled by its owner; the previous version is kept."


def cancel_story(user: AbstractBaseUser, story_id: uuid.UUID) -> Story:
    """Cancel the owner's queued or running job on a story and publish its ``cancelled`` event.

    A generation leaves the story ``cancelled`` with the text written so far. A
    refinement leaves it ``completed`` with its current version, as a failed
    refinement does, with ``error`` saying it was cancelled. The job notices at
    its next cancellation check (the model call polls between tokens) and stops,
    which frees the model. Raises StoryNotFound for an unknown id or another
    user's story, and Conflict (409) for a story with no job to cancel.

    NOTE: a prompt being evaluated is not interrupted, so on a loaded CPU the
    stop can take seconds (12 s measured at a load average near 15 on 2 cores).
    """
    with transaction.atomic():
        story = Story.objects.owned_by(user).select_for_update().filter(pk=story_id).first()
        if story is None:
            raise StoryNotFound(story_id)
        if story.is_finished:
            raise Conflict(f"This story is already {story.status}; only a queued or running story can be cancelled.")

        refining = bool(story.pending_refinement)
        story.status = StoryStatus.COMPLETED if refining else StoryStatus.CANCELLED
        story.error = REFINEMENT_CANCELLED if refining else CANCELLED_BY_OWNER
        story.pending_refinement = {}
        story.finished_at = timezone.now()
        story.save(update_fields=["status", "error", "pending_refinement", "finished_at", "updated_at"])
        events.publish(story.pk, events.CANCELLED, {"reason": story.error})
    logger.info("Story %s: %s cancelled by user %s", story.pk, "refinement" if refining else "generation", user.pk)
    return story


def story_has_events(user: AbstractBaseUser, story_id: uuid.UUID, after: int) -> bool:
    """Tell whether a reader of the owner's story gets any event after number ``after``.

    See :func:`stories.events.has_events_after`. Raises StoryNotFound for an unknown id or another user's story.
    """
    if not Story.objects.owned_by(user).filter(pk=story_id).exists():
        raise StoryNotFound(story_id)
    return events.has_events_after(story_id, after)


def reserve_queue_slot(owner) -> None:
    """Raise ServiceUnavailable (503) while STORYENGINE_MAX_QUEUED_JOBS stories wait for a worker.

    Call it inside the transaction that then creates the queued story, so the
    count and the insert happen together: PostgreSQL serializes them with a
    transaction-level advisory lock, and SQLite's IMMEDIATE transactions hold
    the write lock from their start. Refinements wait in the same queue and count.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOB_QUEUE_LOCK_KEY])
    waiting = Story.objects.filter(status=StoryStatus.QUEUED).count()
    if waiting < settings.STORYENGINE_MAX_QUEUED_JOBS:
        return
    retry_after = queue_retry_after()
    logger.warning(
        "Generation rejected for user %s: %d stories wait for a worker (STORYENGINE_MAX_QUEUED_JOBS=%d)",
        owner.pk,
        waiting,
        settings.STORYENGINE_MAX_QUEUED_JOBS,
    )
    raise ServiceUnavailable(
        f"The story queue is full: {waiting} stories are waiting for the model. Try again in {retry_after} seconds.",
        retry_after=retry_after,
    )


def queue_retry_after() -> int:
    """Return the seconds a rejected request should wait: the mean duration of recent jobs.

    retry_after = ceil(mean of ``generation_time`` over the last RETRY_AFTER_SAMPLE
    completed stories), at least 1. A queue slot frees when a worker finishes
    its job and takes the next waiting story, which takes one job's time.
    With no completed story yet it is QUEUE_FULL_DEFAULT_RETRY_AFTER.
    """
    recent = list(
        Story.objects.filter(status=StoryStatus.COMPLETED, generation_time__isnull=False)
        .order_by("-finished_at")
        .values_list("generation_time", flat=True)[:RETRY_AFTER_SAMPLE]
    )
    if not recent:
        return QUEUE_FULL_DEFAULT_RETRY_AFTER
    return max(1, math.ceil(sum(recent) / len(recent)))


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


def get_story_for_change(user: AbstractBaseUser, story_id: uuid.UUID, lock: bool = False) -> Story:
    """Return the user's own story for a change or a delete, row-locked when ``lock`` is set.

    Raises StoryNotFound for an unknown id and for another writer's private
    story, which the user cannot know exists, and StoryForbidden for another
    writer's public story, which the user can read but not change. ``lock``
    needs a surrounding transaction.
    """
    stories = Story.objects.select_for_update() if lock else Story.objects.all()
    story = stories.filter(pk=story_id).first()
    if story is None:
        raise StoryNotFound(story_id)
    if story.owner_id != user.pk:
        if story.is_public:
            raise StoryForbidden(story_id)
        raise StoryNotFound(story_id)
    return story


def list_stories(user: AbstractBaseUser, query: StoryListQuery) -> Page:
    """Return one page of the user's own stories, filtered, searched and sorted.

    Runs two queries whatever the page size, one for the total and one for the
    page, and only the count when the page lies past the end. The page query
    loads only the start of each story's content for the excerpt.
    Search matches :func:`~stories.search.search_key` of the query as a
    substring of the stored ``search_text``; on PostgreSQL a trigram index
    serves that ``LIKE``.
    """
    stories = _filtered_stories(user, query)
    total = stories.count()
    offset = (query.page - 1) * query.limit
    if offset >= total:
        return Page(items=[], total=total, page=query.page, limit=query.limit)

    # One code point past the excerpt limit lets cut_text see that the content is
    # longer than the limit. A word or cluster crossing the limit is dropped whole anyway.
    rows = stories.order_by(*SORT_ORDERS[query.sort_by]).values(
        "id",
        "title",
        "story_type",
        "cultural_context",
        "status",
        "quality_score",
        "word_count",
        "is_public",
        "created_at",
        content_start=Substr("content", 1, EXCERPT_CHARS + 1),
    )[offset : offset + query.limit]
    items = [
        StoryListItem(
            story_id=row["id"],
            title=row["title"],
            excerpt=excerpt(row["content_start"]),
            story_type=row["story_type"],
            cultural_context=row["cultural_context"],
            status=row["status"],
            quality_score=row["quality_score"],
            word_count=row["word_count"],
            is_public=row["is_public"],
            created_at=row["created_at"],
        )
        for row in rows
    ]
    return Page(items=items, total=total, page=query.page, limit=query.limit)


def _filtered_stories(user: AbstractBaseUser, query: StoryListQuery) -> QuerySet[Story]:
    stories = Story.objects.owned_by(user)
    if query.story_type:
        stories = stories.filter(story_type=query.story_type)
    if query.cultural_context:
        stories = stories.filter(cultural_context=query.cultural_context)
    key = search_key(query.search)
    if key:
        # ``contains``, not ``icontains``: the key is casefolded on both sides, and
        # PostgreSQL's icontains wraps the column in UPPER(), which the trigram
        # index on the bare column cannot serve.
        stories = stories.filter(search_text__contains=key)
    return stories


def excerpt(text: str) -> str:
    """Return the start of ``text`` as one line of at most EXCERPT_CHARS code points.

    The cut falls on a word boundary, or a grapheme-cluster boundary when no
    whole word fits, and ends in an ellipsis when text was dropped. Runs of
    whitespace, line breaks included, become one space after the cut.
    """
    return " ".join(cut_text(text, EXCERPT_CHARS, EXCERPT_ELLIPSIS).split())


def update_story(user: AbstractBaseUser, story_id: uuid.UUID, changes: StoryChanges) -> Story:
    """Apply the owner's changes to a story, in any status.

    A new title also replaces ``metadata["title"]`` when the metadata has one,
    but the versions keep the title they were written with. A running job keeps a title set here rather than
    the one its planner chose. Raises what :func:`get_story_for_change` raises.
    """
    with transaction.atomic():
        story = get_story_for_change(user, story_id, lock=True)
        fields = ["updated_at"]
        if changes.title is not None:
            story.title = changes.title
            fields.append("title")
            if story.metadata.get("title") is not None:
                story.metadata = {**story.metadata, "title": changes.title}
                fields.append("metadata")
        if changes.is_public is not None:
            story.is_public = changes.is_public
            fields.append("is_public")
        story.save(update_fields=fields)
    logger.info("Story %s updated by user %s: %s", story.pk, user.pk, ", ".join(fields[1:]))
    return story


def delete_story(user: AbstractBaseUser, story_id: uuid.UUID) -> None:
    """Delete the owner's story with its agent runs and versions.

    A queued or running story is first marked cancelled in its own commit, so its
    job stops at the next cancellation check (the job also treats a missing row
    as cancelled). The row is locked for the delete, so a job step cannot
    attach a new agent run to it halfway. Raises what
    :func:`get_story_for_change` raises.
    """
    story = get_story_for_change(user, story_id)
    if not story.is_finished:
        cancelled = Story.objects.filter(pk=story.pk, status__in=[StoryStatus.QUEUED, StoryStatus.RUNNING]).update(
            status=StoryStatus.CANCELLED,
            error="Cancelled because its owner deleted the story.",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if cancelled:
            logger.info("Story %s cancelled before its deletion (was %s)", story.pk, story.status)

    with transaction.atomic():
        locked = get_story_for_change(user, story_id, lock=True)
        _, deleted = locked.delete()
    logger.info(
        "Story %s deleted by user %s with %d agent runs and %d versions",
        story.pk,
        user.pk,
        deleted.get("agents.AgentRun", 0),
        deleted.get("stories.StoryVersion", 0),
    )


def list_versions(user: AbstractBaseUser, story_id: uuid.UUID, page: int, limit: int) -> tuple[Story, Page]:
    """Return the story and one page of its versions, newest first, without their text.

    Uses the read rules of :func:`get_story_for_reader` and raises what it raises.
    """
    story = get_story_for_reader(user, story_id)
    versions = StoryVersion.objects.filter(story=story)
    total = versions.count()
    offset = (page - 1) * limit
    if offset >= total:
        return story, Page(items=[], total=total, page=page, limit=limit)
    rows = list(
        versions.order_by("-number").only(
            "id", "story_id", "number", "title", "refinement_type", "quality_score", "word_count", "created_at"
        )[offset : offset + limit]
    )
    return story, Page(items=rows, total=total, page=page, limit=limit)


def get_version(user: AbstractBaseUser, story_id: uuid.UUID, number: int) -> StoryVersion:
    """Return one version of a story with its full text.

    Uses the read rules of :func:`get_story_for_reader` and raises what it
    raises, or VersionNotFound for a number the story does not have.
    """
    story = get_story_for_reader(user, story_id)
    version = StoryVersion.objects.filter(story=story, number=number).first()
    if version is None:
        raise VersionNotFound(number)
    return version
