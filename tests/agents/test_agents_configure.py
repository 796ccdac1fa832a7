"""POST /api/v2/agents/{agent_id}/configure: staff change an agent's configuration."""

from __future__ import annotations

from datetime import datetime

import pytest

from agents.models import Agent, AgentConfigurationChange, AgentSettings, ConfigurationSource
from agents.services import agent_config
from tests.accounts.support import error_of

pytestmark = pytest.mark.django_db

PARAMETERS = ("temperature", "top_p", "top_k", "repeat_penalty", "max_tokens")
CONFIGURATION_KEYS = {
    "enabled",
    "uses_model",
    "performance_parameters",
    "collaboration_settings",
    "resource_limits",
    "quality_thresholds",
    "cultural_adaptation_level",
    "stop",
    "prompt_template",
}


def url(agent_id: str = "writer") -> str:
    return f"/api/v2/agents/{agent_id}/configure"


def sampling_of(agent_id: str) -> dict[str, float | int]:
    agent = Agent.objects.get(pk=agent_id)
    return {name: getattr(agent, name) for name in PARAMETERS}


# Success


def test_staff_changes_sampling_parameters(staff_client, staff):
    before = sampling_of("writer")

    response = staff_client.post(
        url(), {"performance_parameters": {"temperature": 0.35, "top_k": 12}}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"agent_id", "configuration", "status", "effective_at"}
    assert body["agent_id"] == "writer"
    assert body["status"] == "updated"
    assert datetime.fromisoformat(body["effective_at"]).tzinfo is not None
    assert set(body["configuration"]) == CONFIGURATION_KEYS
    assert body["configuration"]["performance_parameters"] == {**before, "temperature": 0.35, "top_k": 12}
    assert sampling_of("writer") == {**before, "temperature": 0.35, "top_k": 12}


def test_next_step_reads_new_values(staff_client):
    staff_client.post(
        url("planner"),
        {"performance_parameters": {"temperature": 1.25, "top_p": 0.5, "repeat_penalty": 1.3, "max_tokens": 64}},
        format="json",
    )

    # The pipeline's AgentStep reads its configuration through agent_config().
    planner = agent_config("planner")
    assert planner.temperature == 1.25
    assert planner.top_p == 0.5
    assert planner.repeat_penalty == 1.3
    assert planner.max_tokens == 64


def test_change_writes_audit_row_with_changed_fields_only(staff_client, staff):
    before = sampling_of("writer")

    response = staff_client.post(
        url(), {"performance_parameters": {"temperature": 0.4, "top_p": before["top_p"]}}, format="json"
    )

    change = AgentConfigurationChange.objects.get()
    assert change.agent_id == "writer"
    assert change.changed_by == staff
    assert change.changed_by_email == staff.email
    assert change.source == ConfigurationSource.API
    assert change.old_values == {"temperature": before["temperature"]}
    assert change.new_values == {"temperature": 0.4}
    assert change.changed_at == datetime.fromisoformat(response.json()["effective_at"])


def test_settings_objects_are_stored_and_returned(staff_client):
    payload = {
        "collaboration_settings": {"handoff_to": ["editor", "emotion"], "share_plan": True},
        "resource_limits": {"max_seconds": 120, "max_memory_mb": 900},
        "quality_thresholds": {"min_quality": 0.6, "min_telugu_share": 0.9},
        "cultural_adaptation_level": 0.75,
    }

    response = staff_client.post(url("cultural"), payload, format="json")

    assert response.status_code == 200, response.content
    configuration = response.json()["configuration"]
    for name, value in payload.items():
        assert configuration[name] == value
    stored = AgentSettings.objects.get(agent_id="cultural")
    assert stored.collaboration_settings == payload["collaboration_settings"]
    assert stored.resource_limits == payload["resource_limits"]
    assert stored.quality_thresholds == payload["quality_thresholds"]
    assert stored.cultural_adaptation_level == 0.75
    change = AgentConfigurationChange.objects.get()
    assert change.old_values == {
        "collaboration_settings": {},
        "resource_limits": {},
        "quality_thresholds": {},
        "cultural_adaptation_level": None,
    }
    assert change.new_values == payload


def test_settings_object_replaces_stored_object(staff_client):
    staff_client.post(url(), {"resource_limits": {"max_seconds": 120, "max_calls": 4}}, format="json")

    staff_client.post(url(), {"resource_limits": {"max_seconds": 60}}, format="json")

    assert AgentSettings.objects.get(agent_id="writer").resource_limits == {"max_seconds": 60}
    latest = AgentConfigurationChange.objects.first()
    assert latest.old_values == {"resource_limits": {"max_seconds": 120, "max_calls": 4}}
    assert latest.new_values == {"resource_limits": {"max_seconds": 60}}


def test_cultural_adaptation_level_can_be_unset(staff_client):
    staff_client.post(url(), {"cultural_adaptation_level": 0.3}, format="json")

    response = staff_client.post(url(), {"cultural_adaptation_level": None}, format="json")

    assert response.json()["configuration"]["cultural_adaptation_level"] is None
    assert AgentSettings.objects.get(agent_id="writer").cultural_adaptation_level is None


def test_omitted_fields_stay_unchanged(staff_client):
    staff_client.post(url(), {"quality_thresholds": {"min_quality": 0.5}}, format="json")
    before = sampling_of("writer")

    staff_client.post(url(), {"performance_parameters": {"max_tokens": 128}}, format="json")

    assert sampling_of("writer") == {**before, "max_tokens": 128}
    assert AgentSettings.objects.get(agent_id="writer").quality_thresholds == {"min_quality": 0.5}


def test_unchanged_values_write_no_audit_row(staff_client):
    current = sampling_of("writer")

    response = staff_client.post(url(), {"performance_parameters": current}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "updated"
    assert AgentConfigurationChange.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", 0.0),
        ("temperature", 2),
        ("top_p", 0.01),
        ("top_p", 1),
        ("top_k", 0),
        ("top_k", 1000),
        ("repeat_penalty", 1),
        ("repeat_penalty", 2.0),
        ("max_tokens", 1),
        ("max_tokens", 8192),
    ],
)
def test_boundary_values_are_accepted(staff_client, name, value):
    response = staff_client.post(url(), {"performance_parameters": {name: value}}, format="json")

    assert response.status_code == 200, response.content
    assert sampling_of("writer")[name] == value


def test_configuration_returns_prompt_template_and_stop(staff_client):
    planner = Agent.objects.get(pk="planner")

    configuration = staff_client.post(url("planner"), {"performance_parameters": {}}, format="json").json()[
        "configuration"
    ]

    assert configuration["prompt_template"] == planner.prompt_template
    assert configuration["stop"] == planner.stop
    assert configuration["enabled"] is True
    assert configuration["uses_model"] is True


# Roles


@pytest.mark.parametrize("client_name", ["owner_client", "other_client"])
def test_non_staff_user_is_forbidden(request, client_name):
    before = sampling_of("writer")

    response = request.getfixturevalue(client_name).post(
        url(), {"performance_parameters": {"temperature": 0.1}}, format="json"
    )

    error = error_of(response, 403)
    assert error["message"] == "Only staff users can configure agents."
    assert sampling_of("writer") == before
    assert AgentConfigurationChange.objects.count() == 0


def test_anonymous_request_is_unauthorized(anonymous_client):
    before = sampling_of("writer")

    response = anonymous_client.post(url(), {"performance_parameters": {"temperature": 0.1}}, format="json")

    error_of(response, 401)
    assert sampling_of("writer") == before
    assert AgentConfigurationChange.objects.count() == 0


def test_non_staff_is_forbidden_for_unknown_agent_too(owner_client):
    error_of(owner_client.post(url("villain"), {"cultural_adaptation_level": 0.5}, format="json"), 403)


def test_unknown_agent_is_not_found(staff_client):
    error = error_of(staff_client.post(url("villain"), {"cultural_adaptation_level": 0.5}, format="json"), 404)

    assert "'villain'" in error["message"]
    assert "writer" in error["message"]
    assert AgentConfigurationChange.objects.count() == 0
    assert not AgentSettings.objects.exists()


# Invalid input


def test_unknown_parameter_names_are_rejected(staff_client):
    before = sampling_of("writer")

    response = staff_client.post(
        url(), {"performance_parameters": {"temperature": 0.5, "top_q": 0.5, "seed": 7}}, format="json"
    )

    error = error_of(response, 400)
    assert set(error["details"]) == {"performance_parameters.seed", "performance_parameters.top_q"}
    assert "Unknown parameter 'top_q'" in error["details"]["performance_parameters.top_q"][0]
    assert "temperature" in error["details"]["performance_parameters.top_q"][0]
    assert sampling_of("writer") == before


def test_unknown_top_level_field_is_rejected(staff_client):
    error = error_of(staff_client.post(url(), {"prompt_template": "{title}"}, format="json"), 400)

    assert list(error["details"]) == ["prompt_template"]
    assert "Unknown field 'prompt_template'" in error["details"]["prompt_template"][0]
    assert AgentConfigurationChange.objects.count() == 0


def test_empty_body_is_rejected(staff_client):
    error = error_of(staff_client.post(url(), {}, format="json"), 400)

    assert "performance_parameters" in error["details"]["non_field_errors"][0]


def test_non_object_body_is_rejected(staff_client):
    error_of(staff_client.post(url(), [{"cultural_adaptation_level": 0.5}], format="json"), 400)

    assert AgentConfigurationChange.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", "0.5"),
        ("temperature", True),
        ("temperature", None),
        ("temperature", -0.01),
        ("temperature", 2.01),
        ("top_p", 0),
        ("top_p", 1.01),
        ("top_p", [0.5]),
        ("top_k", 1.5),
        ("top_k", "40"),
        ("top_k", -1),
        ("top_k", 1001),
        ("repeat_penalty", 0.99),
        ("repeat_penalty", 2.01),
        ("repeat_penalty", {"value": 1.1}),
        ("max_tokens", 0),
        ("max_tokens", 8193),
        ("max_tokens", 64.0),
        ("max_tokens", False),
    ],
)
def test_invalid_parameter_value_is_rejected(staff_client, name, value):
    before = sampling_of("writer")

    response = staff_client.post(url(), {"performance_parameters": {name: value}}, format="json")

    error = error_of(response, 400)
    assert list(error["details"]) == [f"performance_parameters.{name}"]
    assert sampling_of("writer") == before
    assert AgentConfigurationChange.objects.count() == 0


@pytest.mark.parametrize("value", ["fast", [], None, 0.5])
def test_performance_parameters_must_be_object(staff_client, value):
    error = error_of(staff_client.post(url(), {"performance_parameters": value}, format="json"), 400)

    assert list(error["details"]) == ["performance_parameters"]


@pytest.mark.parametrize("value", [1.01, -0.1, "high", True])
def test_invalid_cultural_adaptation_level_is_rejected(staff_client, value):
    error = error_of(staff_client.post(url(), {"cultural_adaptation_level": value}, format="json"), 400)

    assert list(error["details"]) == ["cultural_adaptation_level"]
    assert not AgentSettings.objects.exists()


@pytest.mark.parametrize("field", ["collaboration_settings", "resource_limits", "quality_thresholds"])
@pytest.mark.parametrize("value", ["limits", [1, 2], None, 5])
def test_settings_must_be_objects(staff_client, field, value):
    error = error_of(staff_client.post(url(), {field: value}, format="json"), 400)

    assert list(error["details"]) == [field]
    assert not AgentSettings.objects.exists()


@pytest.mark.parametrize(
    ("value", "detail_key"),
    [
        ({"nested": {"depth": 2}}, "resource_limits.nested"),
        ({"names": ["a", {"b": 1}]}, "resource_limits.names"),
        ({"note": "x" * 501}, "resource_limits.note"),
        ({"many": list(range(51))}, "resource_limits.many"),
        ({"k" * 65: 1}, "resource_limits." + "k" * 65),
        ({"": 1}, "resource_limits."),
        ({f"key_{index}": index for index in range(51)}, "resource_limits"),
    ],
)
def test_settings_values_are_bounded(staff_client, value, detail_key):
    error = error_of(staff_client.post(url(), {"resource_limits": value}, format="json"), 400)

    assert list(error["details"]) == [detail_key]
    assert not AgentSettings.objects.exists()
