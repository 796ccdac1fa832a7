from __future__ import annotations

from typing import Any

import regex
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from storyengine.vocabulary import CulturalContext, Rasa, StoryType
from storyengine.api.fields import StrictBooleanField, StrictFloatField, StrictIntegerField, TextField
from stories.models import RefinementType, Story, StoryStatus, StoryVersion
from stories.search import MAX_QUERY_CHARS
from stories.services import DEFAULT_SORT, SORT_ORDERS, StoryListItem

_QUERY_INTEGER = regex.compile(r"-?[0-9]+")
_QUERY_TRUE = frozenset({"true", "1"})
_QUERY_FALSE = frozenset({"false", "0"})


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
    """Summarize per agent (tokens in plus out, seconds) the AgentRun rows that wrote the current version.

    For a refined story those are the runs since its last refinement started;
    for the generated original, every run of the story.
    """
    since = parse_datetime(((story.metadata or {}).get("refinement") or {}).get("started_at") or "")
    contributions: dict[str, dict[str, Any]] = {}
    for run in story.agent_runs.all():
        if since is not None and run.started_at < since:
            continue
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


def reject_unknown_fields(serializer: serializers.Serializer, data: Any) -> None:
    """Raise a ValidationError naming each key of ``data`` that ``serializer`` has no field for."""
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(serializer.fields))
        if unknown:
            allowed = ", ".join(sorted(serializer.fields))
            raise serializers.ValidationError({name: [f"Unknown field; allowed: {allowed}."] for name in unknown})


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter, written in decimal digits with an optional minus sign.

    DRF's IntegerField also takes ``1.0`` and surrounding spaces; a query
    parameter here must be a plain integer.
    """

    default_error_messages = {"not_integer": "Expected an integer such as 1, got {value!r}."}

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not _QUERY_INTEGER.fullmatch(data):
            self.fail("not_integer", value=data)
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.BOOL)
class QueryBooleanField(serializers.Field):
    """A boolean query parameter: ``true`` or ``1``, ``false`` or ``0`` (true/false in any case)."""

    default_error_messages = {"not_boolean": "Expected true, false, 1 or 0, got {value!r}."}

    def to_internal_value(self, data: Any) -> bool:
        value = data.lower() if isinstance(data, str) else data
        if value in _QUERY_TRUE:
            return True
        if value in _QUERY_FALSE:
            return False
        self.fail("not_boolean", value=data)

    def to_representation(self, value: bool) -> bool:
        return value


class QuerySerializer(serializers.Serializer):
    """A serializer of query parameters; build it with :meth:`from_query`.

    Unknown parameters are ignored, as clients add their own (cache busters, say);
    a repeated parameter counts with its last value.
    """

    @classmethod
    def from_query(cls, query_params: Any) -> QuerySerializer:
        return cls(data=query_params.dict())


# The largest page number accepted, so that page * limit stays far inside the
# 64-bit integers that databases take for OFFSET.
MAX_PAGE = 2**31 - 1


class PageQuerySerializer(QuerySerializer):
    page = QueryIntegerField(min_value=1, max_value=MAX_PAGE, default=1, help_text="Page number, from 1.")
    limit = QueryIntegerField(min_value=1, max_value=100, default=20, help_text="Items per page, 1 to 100.")


class ListStoriesQuerySerializer(PageQuerySerializer):
    story_type = serializers.ChoiceField(
        choices=StoryType.choices, required=False, help_text="Only stories of this type."
    )
    cultural_context = serializers.ChoiceField(
        choices=CulturalContext.choices, required=False, help_text="Only stories in this cultural context."
    )
    sort_by = serializers.ChoiceField(
        choices=list(SORT_ORDERS),
        default=DEFAULT_SORT,
        help_text="Order by creation time or quality score; stories without a score come last in both quality orders.",
    )
    search = TextField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_CHARS,
        help_text=(
            "Text to find in the title or content. Either Unicode normalization form matches, case is "
            "ignored, and ZWNJ/ZWJ are ignored on both sides. Blank means no search."
        ),
    )


class StoryListItemSerializer(serializers.Serializer):
    """One card of the story list.

    The fields describe the schema. ``to_representation`` writes the same JSON
    without walking them, because DRF's per-field machinery took most of the
    serialization time of a page.
    """

    story_id = serializers.UUIDField()
    title = serializers.CharField()
    excerpt = serializers.CharField(help_text="The start of the content, at most 160 characters, cut between words.")
    story_type = serializers.ChoiceField(choices=StoryType.choices)
    cultural_context = serializers.ChoiceField(choices=CulturalContext.choices)
    status = serializers.ChoiceField(choices=StoryStatus.choices)
    quality_score = serializers.FloatField(allow_null=True)
    word_count = serializers.IntegerField()
    is_public = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: StoryListItem) -> dict[str, Any]:
        return {
            "story_id": str(instance.story_id),
            "title": instance.title,
            "excerpt": instance.excerpt,
            "story_type": instance.story_type,
            "cultural_context": instance.cultural_context,
            "status": instance.status,
            "quality_score": instance.quality_score,
            "word_count": instance.word_count,
            "is_public": instance.is_public,
            "created_at": self.fields["created_at"].to_representation(instance.created_at),
        }


class PageSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Items matching the request, over all pages.")
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    total_pages = serializers.IntegerField(help_text="ceil(total / limit); 0 when nothing matches.")


class StoryListSerializer(PageSerializer):
    stories = StoryListItemSerializer(source="items", many=True)


class StoryDetailQuerySerializer(QuerySerializer):
    include_analytics = QueryBooleanField(default=False, help_text="Add the `analytics` object to the story.")


class AgentFiguresSerializer(serializers.Serializer):
    runs = serializers.IntegerField()
    seconds = serializers.FloatField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    outcome = serializers.CharField(help_text="The outcome of the agent's last run.")


class StoryAnalyticsSerializer(serializers.Serializer):
    """Figures computed from the stored story and its agent runs."""

    paragraph_count = serializers.IntegerField()
    sentence_count = serializers.IntegerField()
    word_count = serializers.IntegerField()
    grapheme_count = serializers.IntegerField(help_text="Unicode extended grapheme clusters (letters as written).")
    mean_words_per_sentence = serializers.FloatField(help_text="word_count / sentence_count.")
    mean_sentences_per_paragraph = serializers.FloatField(help_text="sentence_count / paragraph_count.")
    distinct_2 = serializers.FloatField(help_text="Distinct word bigrams / all word bigrams.")
    telugu_script_share = serializers.FloatField(help_text="Telugu letters / all letters.")
    length_ratio = serializers.FloatField(allow_null=True, help_text="word_count / the requested length in words.")
    reading_time_minutes = serializers.FloatField(help_text="word_count / reading_words_per_minute.")
    reading_words_per_minute = serializers.IntegerField(help_text="The assumed reading rate.")
    emotional_arc = serializers.ListField(child=serializers.DictField(), help_text="One point per paragraph.")
    dominant_emotion = serializers.CharField(allow_null=True)
    emotion_shifts = serializers.IntegerField(help_text="Adjacent arc points whose emotion differs.")
    peak = serializers.DictField(allow_null=True, help_text="The arc point with the highest intensity.")
    agent_seconds = serializers.FloatField(help_text="Wall-clock seconds summed over every agent run.")
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    writer_tokens_per_second = serializers.FloatField(
        allow_null=True, help_text="Writer completion tokens / writer seconds."
    )
    agents = serializers.DictField(child=AgentFiguresSerializer(), help_text="Figures per agent id.")


class StoryReadSerializer(StoryDetailSerializer):
    """The story as GET returns it; ``analytics`` only with ``include_analytics=true``."""

    analytics = StoryAnalyticsSerializer(required=False)

    class Meta(StoryDetailSerializer.Meta):
        fields = StoryDetailSerializer.Meta.fields + ["analytics"]
        read_only_fields = StoryDetailSerializer.Meta.fields


class StoryUpdateSerializer(serializers.Serializer):
    title = TextField(min_length=1, max_length=200, required=False, help_text="1 to 200 characters after trimming.")
    is_public = StrictBooleanField(required=False, help_text="Whether every signed-in user may read the story.")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        reject_unknown_fields(self, data)
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(f"Send at least one of: {', '.join(self.fields)}.")
        return attrs


class StoryVersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    refinement_type = serializers.ChoiceField(
        choices=RefinementType.choices, allow_blank=True, help_text="Empty for the generated original."
    )
    quality_score = serializers.FloatField(allow_null=True)
    word_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class StoryVersionListSerializer(PageSerializer):
    story_id = serializers.UUIDField()
    current_version = serializers.IntegerField(help_text="The number of the version the story shows now.")
    versions = StoryVersionSummarySerializer(source="items", many=True, help_text="Newest first.")


class StoryVersionSerializer(serializers.ModelSerializer):
    story_id = serializers.UUIDField(read_only=True)
    # Declared so the schema allows the empty value; a read-only model field loses allow_blank.
    refinement_type = serializers.ChoiceField(
        choices=RefinementType.choices, allow_blank=True, read_only=True, help_text="Empty for the generated original."
    )

    class Meta:
        model = StoryVersion
        fields = [
            "story_id",
            "number",
            "title",
            "content",
            "quality_score",
            "word_count",
            "emotions",
            "cultural_elements",
            "metadata",
            "refinement_type",
            "improvements",
            "preserve_elements",
            "created_at",
        ]
        read_only_fields = fields


class RefineStorySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RefinementType.choices, help_text="The kind of refinement.")
    parameters = serializers.DictField(default=dict, help_text="Options of the refinement, such as target_context.")
    improvements = serializers.ListField(
        child=TextField(min_length=1, max_length=500, trim_whitespace=True),
        allow_empty=False,
        max_length=20,
        help_text="What to improve, in the writer's words; they go into the refiner's prompt.",
    )
    preserve_elements = serializers.ListField(
        child=TextField(min_length=1, max_length=200, trim_whitespace=True),
        default=list,
        max_length=20,
        help_text="Text that must come through unchanged: a paragraph containing one is kept verbatim.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        reject_unknown_fields(self, data)
        return super().to_internal_value(data)
