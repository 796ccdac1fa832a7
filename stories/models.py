"""Stories and their generation state."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from storyengine.vocabulary import CulturalContext, StoryType
from stories.search import story_search_text


class StoryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = frozenset({StoryStatus.COMPLETED, StoryStatus.FAILED, StoryStatus.CANCELLED})


class RefinementType(models.TextChoices):
    """The kind of change a refinement requests."""

    EMOTION_ENHANCEMENT = "emotion_enhancement", "Emotion enhancement"
    CULTURAL_ADAPTATION = "cultural_adaptation", "Cultural adaptation"
    CHARACTER_DEVELOPMENT = "character_development", "Character development"
    PLOT_IMPROVEMENT = "plot_improvement", "Plot improvement"
    LANGUAGE_POLISHING = "language_polishing", "Language polishing"


class StoryQuerySet(models.QuerySet["Story"]):
    def owned_by(self, user) -> StoryQuerySet:
        return self.filter(owner=user)


class Story(models.Model):
    """A story request and, once written, its text and measured scores.

    ``content`` is checkpointed paragraph by paragraph while the writer works, so a
    crash loses at most the paragraph being written. ``version`` is the number of
    the current text's StoryVersion; version 1 is written when generation completes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stories")

    prompt = models.TextField()
    story_type = models.CharField(max_length=32, choices=StoryType.choices, default=StoryType.SHORT_STORY)
    cultural_context = models.CharField(max_length=32, choices=CulturalContext.choices, default=CulturalContext.MODERN)
    emotion_focus = models.JSONField(default=list, blank=True)
    target_length = models.PositiveIntegerField(help_text="Target length in words.")
    style_preferences = models.JSONField(default=dict, blank=True)
    advanced_options = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=16, choices=StoryStatus.choices, default=StoryStatus.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a job has started on this story.")

    title = models.CharField(max_length=200, blank=True)
    content = models.TextField(blank=True)
    plan = models.JSONField(default=dict, blank=True, help_text="The planner's output, kept so a resumed job reuses it.")
    pending_refinement = models.JSONField(
        default=dict, blank=True, help_text="The refinement request the job is working on; empty when none."
    )
    emotions = models.JSONField(default=list, blank=True)
    cultural_elements = models.JSONField(default=list, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    generation_time = models.FloatField(
        null=True, blank=True, help_text="Seconds from the start of the first attempt to finish."
    )
    search_text = models.TextField(
        blank=True,
        default="",
        editable=False,
        help_text="Title and content as a search key (NFC, casefolded, without ZWNJ/ZWJ), kept by save().",
    )

    is_public = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    event_seq = models.PositiveIntegerField(
        default=0, editable=False, help_text="Number of the story's last progress event; 0 before the first."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "stories"
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.title or str(self.id)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save the row, recomputing ``search_text`` whenever the title or content may have changed.

        ``QuerySet.update()`` bypasses this method, so code that updates ``title`` or
        ``content`` that way must set ``search_text`` with :func:`story_search_text`.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"title", "content"} & set(update_fields):
            self.search_text = story_search_text(self.title, self.content)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class StoryVersion(models.Model):
    """One saved text of a story: the generated original (number 1) or a refinement.

    Rows are snapshots: renaming the story later does not change the title of its
    earlier versions.
    """

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200, blank=True)
    content = models.TextField()
    quality_score = models.FloatField(null=True, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    emotions = models.JSONField(default=list, blank=True)
    cultural_elements = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    refinement_type = models.CharField(
        max_length=32,
        choices=RefinementType.choices,
        blank=True,
        help_text="The refinement that produced this text; empty for the generated original.",
    )
    improvements = models.JSONField(default=list, blank=True, help_text="The improvements the refinement asked for.")
    preserve_elements = models.JSONField(
        default=list, blank=True, help_text="The elements the refinement was asked to keep unchanged."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["story", "-number"]
        constraints = [models.UniqueConstraint(fields=["story", "number"], name="stories_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.story_id} v{self.number}"

    @classmethod
    def snapshot(
        cls,
        story: Story,
        refinement_type: str = "",
        improvements: list[str] | None = None,
        preserve_elements: list[str] | None = None,
    ) -> StoryVersion:
        """Build an unsaved version numbered ``story.version`` from the story's current text and scores."""
        return cls(
            story=story,
            number=story.version,
            title=story.title,
            content=story.content,
            quality_score=story.quality_score,
            word_count=story.word_count,
            emotions=story.emotions,
            cultural_elements=story.cultural_elements,
            metadata=story.metadata,
            refinement_type=refinement_type,
            improvements=list(improvements or []),
            preserve_elements=list(preserve_elements or []),
        )


class StoryEvent(models.Model):
    """One progress event of a story's jobs, numbered from 1 without gaps per story.

    Rows are written before the event reaches the channel layer, so a reader that
    missed a message, or connects late, reads it here. Written only through
    :func:`stories.events.publish`, which keeps ``Story.event_seq`` in step.
    """

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["story", "seq"]
        constraints = [models.UniqueConstraint(fields=["story", "seq"], name="stories_event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.story_id} #{self.seq} {self.type}"
