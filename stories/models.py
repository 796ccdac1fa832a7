"""Stories and their generation state."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from analysis.vocabulary import CulturalContext, StoryType


class StoryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = frozenset({StoryStatus.COMPLETED, StoryStatus.FAILED, StoryStatus.CANCELLED})


class StoryQuerySet(models.QuerySet["Story"]):
    def owned_by(self, user) -> StoryQuerySet:
        return self.filter(owner=user)


class Story(models.Model):
    """A story request and, once written, its text and measured scores.

    ``content`` is checkpointed paragraph by paragraph while the writer works, so a
    crash loses at most the paragraph being written.
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
    emotions = models.JSONField(default=list, blank=True)
    cultural_elements = models.JSONField(default=list, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    generation_time = models.FloatField(null=True, blank=True, help_text="Seconds from job start to finish.")

    is_public = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
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

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES
