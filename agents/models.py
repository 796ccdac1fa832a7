"""Agent configuration, its audit log, and the record of every agent step."""

from __future__ import annotations

import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class AgentRole(models.TextChoices):
    PLANNER = "planner", "Planner"
    CULTURAL = "cultural", "Cultural"
    WRITER = "writer", "Writer"
    EMOTION = "emotion", "Emotion"
    EDITOR = "editor", "Editor"
    REFINER = "refiner", "Refiner"


# Placeholders each role's prompt template may use; the pipeline fills them.
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    AgentRole.PLANNER: frozenset({"prompt", "story_type", "setting", "protagonist"}),
    AgentRole.CULTURAL: frozenset(),
    AgentRole.WRITER: frozenset({"title", "prompt", "setting", "characters", "story_so_far"}),
    AgentRole.EMOTION: frozenset(),
    AgentRole.EDITOR: frozenset(),
    AgentRole.REFINER: frozenset({"title", "content", "improvements", "refinement"}),
}


def template_fields(template: str) -> set[str]:
    """Return the ``{name}`` placeholders of a ``str.format`` template.

    Raises ValueError on a malformed template such as an unclosed brace.
    """
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


class Agent(models.Model):
    """One agent role and the sampling settings its next step uses.

    The row is read at the start of every step, so a change made in the admin or
    through the API applies to the next job without a restart.
    """

    id = models.CharField(primary_key=True, max_length=32, choices=AgentRole.choices)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(
        default=True,
        help_text="A disabled model-backed role falls back to its deterministic behaviour.",
    )
    uses_model = models.BooleanField(default=True, editable=False)
    temperature = models.FloatField(
        default=0.8, validators=[MinValueValidator(0.0), MaxValueValidator(2.0)], help_text="Sampling temperature, 0 to 2."
    )
    top_p = models.FloatField(
        default=0.95,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="Nucleus sampling mass, 0.01 to 1.",
    )
    top_k = models.PositiveIntegerField(
        default=40, validators=[MaxValueValidator(1000)], help_text="Sample from the K likeliest tokens; 0 means all."
    )
    repeat_penalty = models.FloatField(
        default=1.1,
        validators=[MinValueValidator(1.0), MaxValueValidator(2.0)],
        help_text="Penalty on recently used tokens, 1 (none) to 2.",
    )
    max_tokens = models.PositiveIntegerField(
        default=256,
        validators=[MinValueValidator(1), MaxValueValidator(8192)],
        help_text="Most tokens one model call of this role may generate, 1 to 8192.",
    )
    stop = models.JSONField(default=list, blank=True, help_text="Stop strings, as a JSON list of non-empty strings.")
    prompt_template = models.TextField(
        blank=True, help_text="Python str.format template; the allowed placeholders depend on the role."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.stop, list) or not all(isinstance(item, str) and item for item in self.stop):
            errors["stop"] = "Stop strings must be a JSON list of non-empty strings, such as [\"\\n\\n\"]."
        try:
            used = template_fields(self.prompt_template)
        except ValueError as exc:
            errors["prompt_template"] = f"Invalid template: {exc}. Write literal braces as {{{{ and }}}}."
        else:
            allowed = TEMPLATE_FIELDS.get(self.id, frozenset())
            unknown = sorted(used - allowed)
            if unknown:
                errors["prompt_template"] = (
                    f"Unknown placeholders {', '.join('{' + name + '}' for name in unknown)}; "
                    f"this role allows: {', '.join('{' + name + '}' for name in sorted(allowed)) or 'none'}."
                )
        if errors:
            raise ValidationError(errors)


class AgentRunOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FELL_BACK = "fell_back", "Fell back"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class AgentRun(models.Model):
    """One step of one agent for one story, with its measured cost."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="agent_runs")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0, help_text="Wall-clock seconds of the step.")
    outcome = models.CharField(max_length=16, choices=AgentRunOutcome.choices, default=AgentRunOutcome.RUNNING)
    error = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["agent", "started_at"]),
            models.Index(fields=["outcome", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} for {self.story_id} ({self.outcome})"


class AgentSettings(models.Model):
    """Settings of an agent besides its sampling parameters, changed through the API or the admin.

    NOTE: the pipeline does not read these yet. They are stored, audited and returned
    as the agent's configuration so that a role can start using them without a new API.
    """

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, primary_key=True, related_name="agent_settings")
    collaboration_settings = models.JSONField(
        default=dict, blank=True, help_text="How the agent works with the other roles, as a JSON object."
    )
    resource_limits = models.JSONField(default=dict, blank=True, help_text="Resource limits, as a JSON object.")
    quality_thresholds = models.JSONField(
        default=dict, blank=True, help_text="Quality thresholds, as a JSON object of names to numbers."
    )
    cultural_adaptation_level = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="How strongly the agent adapts content to the cultural context, 0 to 1; empty means unset.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "agent settings"
        verbose_name_plural = "agent settings"

    def __str__(self) -> str:
        return f"Settings of {self.agent_id}"


class ConfigurationSource(models.TextChoices):
    API = "api", "API"
    ADMIN = "admin", "Admin"


class AgentConfigurationChange(models.Model):
    """One change to an agent's configuration: who made it, when, from where, and what changed.

    ``old_values`` and ``new_values`` hold only the fields that changed, keyed by field name.
    """

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="configuration_changes")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text too, so the log still names the author after their account is deleted.
    changed_by_email = models.EmailField(blank=True)
    source = models.CharField(max_length=8, choices=ConfigurationSource.choices)
    old_values = models.JSONField(default=dict)
    new_values = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["agent", "-changed_at"])]
        verbose_name = "agent configuration change"

    def __str__(self) -> str:
        return f"{self.agent_id} changed by {self.changed_by_email or 'unknown'} at {self.changed_at:%Y-%m-%d %H:%M:%S}"
