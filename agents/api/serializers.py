"""Request and response bodies of the agents endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents import metrics
from agents.configuration import PERFORMANCE_PARAMETERS, settings_object_errors
from storyengine.api.fields import StrictFloatField, StrictIntegerField


# Query parameters


@extend_schema_field(OpenApiTypes.BOOL)
class QueryBooleanField(serializers.Field):
    """A query-string boolean that takes only `true` or `false`."""

    default_error_messages = {"invalid": "Expected true or false, got {value!r}."}

    def get_value(self, dictionary: Any) -> Any:
        # DRF reads an empty query value as absent when the field is optional; here
        # `include_metrics=` is an invalid value, not a request for the default.
        if self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> bool:
        if data == "true":
            return True
        if data == "false":
            return False
        self.fail("invalid", value=data)

    def to_representation(self, value: bool) -> bool:
        return value


class AgentStatusQuerySerializer(serializers.Serializer):
    include_metrics = QueryBooleanField(
        required=False, default=True, help_text="Include `performance_metrics`: `true` (default) or `false`."
    )


# GET agents/status


# An inline enum: a ChoiceField named `status` would share its component name with
# the story status enumeration.
@extend_schema_field({"type": "string", "enum": list(metrics.AGENT_STATES)})
class AgentStateField(serializers.CharField):
    """The agent's state: `busy`, `idle` or `disabled`."""


class AgentStatusSerializer(serializers.Serializer):
    agent_id = serializers.CharField(help_text="The agent's role name, such as `writer`.")
    name = serializers.CharField()
    type = serializers.CharField(help_text="The agent type; each role is its own type.")
    status = AgentStateField(
        help_text=(
            "`disabled` when switched off; `busy` when the agent has a running step and a model in the process "
            "answering this request is running a completion; otherwise `idle`."
        ),
    )
    current_task = serializers.CharField(allow_null=True, help_text="Id of the story the busy agent works on.")
    performance_score = serializers.FloatField(
        allow_null=True,
        help_text=(
            "success_rate * speed_factor over the latest 100 finished runs, where speed_factor = "
            "min(1, median seconds / mean seconds of the latest 10 runs). Null without runs."
        ),
    )
    success_rate = serializers.FloatField(
        allow_null=True,
        help_text="(succeeded + fell back) / finished runs, over the latest 100 finished runs. Null without runs.",
    )
    average_response_time = serializers.FloatField(
        allow_null=True, help_text="Mean wall-clock seconds of the latest 100 finished runs. Null without runs."
    )
    memory_usage = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Resident memory in bytes of the process serving the agent's model, shared by every role on that "
            "model, so it is not the agent's own share. Null for roles that use no model and when no model is "
            "loaded in the process answering this request."
        ),
    )
    last_activity = serializers.DateTimeField(
        allow_null=True, help_text="End (or start, while running) of the agent's latest run. Null without runs."
    )


class CollaborationWindowSerializer(serializers.Serializer):
    latest_stories = serializers.IntegerField()


class CollaborationMetricsSerializer(serializers.Serializer):
    """Figures of the agents' work together on the latest 100 stories."""

    window = CollaborationWindowSerializer()
    stories = serializers.IntegerField()
    mean_agents_per_story = serializers.FloatField(allow_null=True)
    mean_pipeline_seconds = serializers.FloatField(
        allow_null=True, help_text="Mean over stories of the summed seconds of their runs."
    )
    median_handoff_seconds = serializers.FloatField(
        allow_null=True, help_text="Median gap between one run's end and the next run's start in a story."
    )
    fallback_rate = serializers.FloatField(allow_null=True, help_text="Runs that fell back / finished runs.")
    failure_rate = serializers.FloatField(allow_null=True, help_text="Failed runs / finished runs.")
    time_share = serializers.DictField(
        child=serializers.FloatField(), help_text="Each agent's seconds / the seconds of all runs."
    )


class ModelRuntimeInfoSerializer(serializers.Serializer):
    path = serializers.CharField()
    file_size = serializers.IntegerField(allow_null=True, help_text="Bytes.")
    n_ctx = serializers.IntegerField()
    n_threads = serializers.IntegerField()
    n_gpu_layers = serializers.IntegerField()
    n_vocab = serializers.IntegerField()
    loaded_at = serializers.DateTimeField()
    load_seconds = serializers.FloatField()
    completions = serializers.IntegerField(help_text="Completions run since the model was loaded.")
    busy = serializers.BooleanField()
    pid = serializers.IntegerField()
    llama_cpp_version = serializers.CharField()


class ProcessSerializer(serializers.Serializer):
    pid = serializers.IntegerField()
    rss_bytes = serializers.IntegerField(help_text="Resident memory of the process answering this request.")


class HostSerializer(serializers.Serializer):
    cpu_count = serializers.IntegerField(allow_null=True)
    load_average = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, help_text="1, 5 and 15 minute load averages."
    )
    memory_total_bytes = serializers.IntegerField()
    memory_available_bytes = serializers.IntegerField()


class SystemHealthSerializer(serializers.Serializer):
    ai_models = serializers.CharField(help_text="`healthy` or `unhealthy: <reason>`, from the model file check.")
    models = ModelRuntimeInfoSerializer(many=True, help_text="Models loaded in the process answering this request.")
    process = ProcessSerializer()
    host = HostSerializer()
    running_steps = serializers.IntegerField(
        help_text="Agent runs marked running, including any a stopped job left behind."
    )


class PerformanceWindowSerializer(serializers.Serializer):
    latest_finished_runs_per_agent = serializers.IntegerField()
    recent_runs = serializers.IntegerField()


class AgentPerformanceSerializer(serializers.Serializer):
    runs = serializers.IntegerField(help_text="Finished runs in the window.")
    succeeded = serializers.IntegerField()
    fell_back = serializers.IntegerField()
    failed = serializers.IntegerField()
    median_seconds = serializers.FloatField(allow_null=True)
    p95_seconds = serializers.FloatField(allow_null=True, help_text="Nearest-rank 95th percentile of the seconds.")
    recent_mean_seconds = serializers.FloatField(allow_null=True, help_text="Mean seconds of the latest 10 runs.")
    speed_factor = serializers.FloatField(
        allow_null=True, help_text="min(1, median_seconds / recent_mean_seconds); 1 when recent_mean_seconds is 0."
    )
    tokens_per_second = serializers.FloatField(
        allow_null=True, help_text="Completion tokens / seconds over the runs that generated tokens."
    )


class PerformanceMetricsSerializer(serializers.Serializer):
    window = PerformanceWindowSerializer()
    agents = serializers.DictField(child=AgentPerformanceSerializer(), help_text="Agent id to its figures.")


class AgentStatusReportSerializer(serializers.Serializer):
    agents = AgentStatusSerializer(many=True)
    collaboration_metrics = CollaborationMetricsSerializer()
    system_health = SystemHealthSerializer()
    performance_metrics = PerformanceMetricsSerializer(
        required=False, help_text="Present unless `include_metrics=false`."
    )
    last_updated = serializers.DateTimeField()


# POST agents/{agent_id}/configure


class PerformanceParametersSerializer(serializers.Serializer):
    """Sampling parameters; each is optional and unknown names are rejected."""

    temperature = StrictFloatField(
        required=False,
        min_value=PERFORMANCE_PARAMETERS["temperature"].minimum,
        max_value=PERFORMANCE_PARAMETERS["temperature"].maximum,
    )
    top_p = StrictFloatField(
        required=False,
        min_value=PERFORMANCE_PARAMETERS["top_p"].minimum,
        max_value=PERFORMANCE_PARAMETERS["top_p"].maximum,
    )
    top_k = StrictIntegerField(
        required=False,
        min_value=PERFORMANCE_PARAMETERS["top_k"].minimum,
        max_value=PERFORMANCE_PARAMETERS["top_k"].maximum,
        help_text="0 samples from every token.",
    )
    repeat_penalty = StrictFloatField(
        required=False,
        min_value=PERFORMANCE_PARAMETERS["repeat_penalty"].minimum,
        max_value=PERFORMANCE_PARAMETERS["repeat_penalty"].maximum,
    )
    max_tokens = StrictIntegerField(
        required=False,
        min_value=PERFORMANCE_PARAMETERS["max_tokens"].minimum,
        max_value=PERFORMANCE_PARAMETERS["max_tokens"].maximum,
        help_text="Most tokens one model call of the agent may generate.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            _reject_unknown(data, self.fields, "parameter")
        return super().to_internal_value(data)


@extend_schema_field({"type": "object", "additionalProperties": True})
class SettingsObjectField(serializers.Field):
    """A JSON object of up to 50 settings whose values are scalars or flat lists of scalars."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        errors = settings_object_errors(data)
        if None in errors:
            raise serializers.ValidationError(errors[None])
        if errors:
            raise serializers.ValidationError({str(key): messages for key, messages in errors.items()})
        return data

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return value


def _reject_unknown(data: dict[Any, Any], fields: Any, kind: str) -> None:
    unknown = sorted(str(key) for key in data if key not in fields)
    if unknown:
        known = ", ".join(fields)
        raise serializers.ValidationError({key: [f"Unknown {kind} {key!r}: use one of {known}."] for key in unknown})


class ConfigureAgentSerializer(serializers.Serializer):
    """A change to an agent's configuration; at least one field, and omitted fields stay as they are.

    `performance_parameters` changes the parameters it names. Each settings object
    replaces the stored object as a whole, so a key left out of it is removed.
    """

    performance_parameters = PerformanceParametersSerializer(required=False)
    collaboration_settings = SettingsObjectField(required=False)
    resource_limits = SettingsObjectField(required=False)
    quality_thresholds = SettingsObjectField(required=False)
    cultural_adaptation_level = StrictFloatField(
        required=False,
        allow_null=True,
        min_value=0.0,
        max_value=1.0,
        help_text="How strongly the agent adapts content to the cultural context, 0 to 1; null unsets it.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            _reject_unknown(data, self.fields, "field")
            if not data:
                raise serializers.ValidationError(
                    {"non_field_errors": [f"Send at least one of {', '.join(self.fields)}."]}
                )
            parameters = data.get("performance_parameters", {})
            if not isinstance(parameters, dict):
                # Checked here because a nested serializer reports a wrong type under
                # `performance_parameters.non_field_errors`.
                raise serializers.ValidationError(
                    {
                        "performance_parameters": [
                            f"Expected a JSON object of sampling parameters, got {type(parameters).__name__}."
                        ]
                    }
                )
        return super().to_internal_value(data)


class PerformanceParametersOutputSerializer(serializers.Serializer):
    temperature = serializers.FloatField()
    top_p = serializers.FloatField()
    top_k = serializers.IntegerField()
    repeat_penalty = serializers.FloatField()
    max_tokens = serializers.IntegerField()


class AgentConfigurationSerializer(serializers.Serializer):
    """The configuration the agent's next step runs with."""

    enabled = serializers.BooleanField()
    uses_model = serializers.BooleanField()
    performance_parameters = PerformanceParametersOutputSerializer()
    collaboration_settings = SettingsObjectField()
    resource_limits = SettingsObjectField()
    quality_thresholds = SettingsObjectField()
    cultural_adaptation_level = serializers.FloatField(allow_null=True)
    stop = serializers.ListField(child=serializers.CharField(), help_text="Stop strings; changed in the admin only.")
    prompt_template = serializers.CharField(help_text="Prompt template; changed in the admin only.")


class ConfigureAgentResponseSerializer(serializers.Serializer):
    agent_id = serializers.CharField()
    configuration = AgentConfigurationSerializer()
    status = serializers.CharField(help_text="Always `updated`.")
    effective_at = serializers.DateTimeField(help_text="From this moment the agent's next step uses the configuration.")

