from __future__ import annotations

from typing import Any

from rest_framework import serializers

from analysis.vocabulary import CulturalContext, Rasa, StoryType
from storyengine.api.fields import StrictFloatField, StrictIntegerField, TextField
from stories.models import Story

class AdvancedOptionsSerializer(serializers.Serializer):
    """Per-request sampling overrides, a seed and the model to use."""

    temperature = StrictFloatField(required=False, min_value=0.0, max_value=2.0)
    top_p = StrictFloatField(required=False, min_value=0.01, max_value=1.0)
    top_k = StrictIntegerField(required=False, min_value=0, max_value=1000)
    repeat_penalty = StrictFloatField(required=False, min_value=1.0, max_value=2.0)
    seed = StrictIntegerField(required=False, min_value=0, max_value=2**31 - 1)
    model = TextField(required=False, help_text="Only `default` (the configured model) is served.")

    def validate_model(self, value: str) -> str:
        if value != "default":
            raise serializers.ValidationError(f"Unknown model {value!r}; this server serves only 'default'.")
        return value

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"Unknown option; allowed: {', '.join(sorted(self.fields))}."] for name in unknown}
                )
        return super().to_internal_value(data)


class GenerateStorySerializer(serializers.Serializer):
    prompt = TextField(min_length=10, max_length=1000, trim_whitespace=True)
    story_type = serializers.ChoiceField(choices=StoryType.choices, default=StoryType.SHORT_STORY)
    cultural_context = serializers.ChoiceField(choices=CulturalContext.choices, default=CulturalContext.MODERN)
    emotion_focus = serializers.ListField(
        child=serializers.ChoiceField(choices=Rasa.choices), default=list, allow_empty=True, max_length=9
    )
    length = StrictIntegerField(min_value=100, max_value=10000, default=500, help_text="Target length in words.")
    style_preferences = serializers.DictField(default=dict)
    advanced_options = AdvancedOptionsSerializer(default=dict)

    def validate_emotion_focus(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


def agent_contributions(story: Story) -> dict[str, dict[str, Any]]:
    """Summarize the story's AgentRun rows per agent (tokens in plus out, seconds)."""
    contributions: dict[str, dict[str, Any]] = {}
    for run in story.agent_runs.all():
        entry = contributions.setdefault(
            run.agent_id,
            {"role": run.agent.name, "summary": run.summary, "tokens": 0, "seconds": 0.0, "outcome": run.outcome},
        )
        entry["tokens"] += run.prompt_tokens + run.completion_tokens
        entry["seconds"] = round(entry["seconds"] + run.seconds, 3)
        entry["summary"] = run.summary or entry["summary"]
        entry["outcome"] = run.outcome
    return contributions


class StoryResponseSerializer(serializers.ModelSerializer):
    story_id = serializers.UUIDField(source="id", read_only=True)
    agent_contributions = serializers.SerializerMethodField()

    class Meta:
        model = Story
        fields = [
            "story_id",
            "status",
            "error",
            "title",
            "content",
            "emotions",
            "cultural_elements",
            "generation_time",
            "quality_score",
            "agent_contributions",
            "metadata",
            "created_at",
        ]
        read_only_fields = fields

    def get_agent_contributions(self, story: Story) -> dict[str, dict[str, Any]]:
        return agent_contributions(story)


class StoryDetailSerializer(StoryResponseSerializer):
    class Meta(StoryResponseSerializer.Meta):
        fields = StoryResponseSerializer.Meta.fields + [
            "prompt",
            "story_type",
            "cultural_context",
            "emotion_focus",
            "target_length",
            "is_public",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class StoryAcceptedSerializer(serializers.Serializer):
    story_id = serializers.UUIDField()
    status = serializers.CharField()
