"""The audit log of agent configuration changes: written by the admin and the API, shown read-only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from agents.configuration import configure_agent
from agents.models import Agent, AgentConfigurationChange, AgentSettings, ConfigurationSource

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/agents/agent/{}/change/"
LOG_URL = "/admin/agents/agentconfigurationchange/"
API_URL = "/api/v2/agents/{}/configure"


@pytest.fixture
def superuser(staff):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    return staff


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def change_form(agent: Agent, **overrides: Any) -> dict[str, str]:
    """Return the agent's admin change form as the browser posts it, with fields replaced."""
    agent_settings = AgentSettings.objects.filter(agent=agent).first() or AgentSettings(agent=agent)
    level = agent_settings.cultural_adaptation_level
    form = {
        "name": agent.name,
        "description": agent.description,
        "temperature": str(agent.temperature),
        "top_p": str(agent.top_p),
        "top_k": str(agent.top_k),
        "repeat_penalty": str(agent.repeat_penalty),
        "max_tokens": str(agent.max_tokens),
        "stop": json.dumps(agent.stop, ensure_ascii=False),
        "prompt_template": agent.prompt_template,
        "collaboration_settings": json.dumps(agent_settings.collaboration_settings),
        "resource_limits": json.dumps(agent_settings.resource_limits),
        "quality_thresholds": json.dumps(agent_settings.quality_thresholds),
        "cultural_adaptation_level": "" if level is None else str(level),
    }
    if agent.enabled:
        form["enabled"] = "on"
    for prefix in ("configuration_changes", "runs"):
        form.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "0",
            }
        )
    form.update(overrides)
    return form


# Changes through the admin


def test_admin_change_writes_audit_row(admin_client, superuser):
    writer = Agent.objects.get(pk="writer")
    old_temperature = writer.temperature

    response = admin_client.post(CHANGE_URL.format("writer"), change_form(writer, temperature="0.45", top_k="25"))

    assert response.status_code == 302, response.content.decode()[:2000]
    writer.refresh_from_db()
    assert writer.temperature == 0.45
    assert writer.top_k == 25
    change = AgentConfigurationChange.objects.get()
    assert change.agent_id == "writer"
    assert change.source == ConfigurationSource.ADMIN
    assert change.changed_by == superuser
    assert change.changed_by_email == superuser.email
    assert change.old_values == {"temperature": old_temperature, "top_k": 40}
    assert change.new_values == {"temperature": 0.45, "top_k": 25}


def test_admin_prompt_change_keeps_telugu_in_audit(admin_client):
    writer = Agent.objects.get(pk="writer")
    old_template = writer.prompt_template
    new_template = "కథ: {title}\n{story_so_far}"

    admin_client.post(CHANGE_URL.format("writer"), change_form(writer, prompt_template=new_template))

    change = AgentConfigurationChange.objects.get()
    assert change.old_values == {"prompt_template": old_template}
    assert change.new_values == {"prompt_template": new_template}
    assert Agent.objects.get(pk="writer").prompt_template == new_template


def test_admin_settings_change_is_stored_and_audited(admin_client):
    editor = Agent.objects.get(pk="editor")

    response = admin_client.post(
        CHANGE_URL.format("editor"),
        change_form(editor, quality_thresholds='{"min_quality": 0.7}', cultural_adaptation_level="0.4"),
    )

    assert response.status_code == 302
    stored = AgentSettings.objects.get(agent_id="editor")
    assert stored.quality_thresholds == {"min_quality": 0.7}
    assert stored.cultural_adaptation_level == 0.4
    change = AgentConfigurationChange.objects.get()
    assert change.old_values == {"quality_thresholds": {}, "cultural_adaptation_level": None}
    assert change.new_values == {"quality_thresholds": {"min_quality": 0.7}, "cultural_adaptation_level": 0.4}


def test_admin_disabling_agent_is_audited(admin_client):
    emotion = Agent.objects.get(pk="emotion")
    form = change_form(emotion)
    del form["enabled"]

    admin_client.post(CHANGE_URL.format("emotion"), form)

    assert Agent.objects.get(pk="emotion").enabled is False
    change = AgentConfigurationChange.objects.get()
    assert change.old_values == {"enabled": True}
    assert change.new_values == {"enabled": False}


def test_admin_save_without_changes_writes_no_audit_row(admin_client):
    planner = Agent.objects.get(pk="planner")

    response = admin_client.post(CHANGE_URL.format("planner"), change_form(planner))

    assert response.status_code == 302
    assert AgentConfigurationChange.objects.count() == 0
    # The planner's prompt ends in a space, which the form must keep.
    assert Agent.objects.get(pk="planner").prompt_template == planner.prompt_template
    assert planner.prompt_template.endswith(" ")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", "2.5"),
        ("max_tokens", "0"),
        ("resource_limits", "[1, 2]"),
        ("resource_limits", '{"nested": {"a": 1}}'),
        ("cultural_adaptation_level", "1.5"),
    ],
)
def test_admin_rejects_invalid_value_without_audit(admin_client, field, value):
    writer = Agent.objects.get(pk="writer")
    before = {name: getattr(writer, name) for name in ("temperature", "max_tokens")}

    response = admin_client.post(CHANGE_URL.format("writer"), change_form(writer, **{field: value}))

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    writer.refresh_from_db()
    assert {name: getattr(writer, name) for name in before} == before
    assert not AgentSettings.objects.exists()
    assert AgentConfigurationChange.objects.count() == 0


def test_admin_form_shows_stored_settings(admin_client, staff_client):
    staff_client.post(API_URL.format("writer"), {"resource_limits": {"max_seconds": 90}}, format="json")

    page = admin_client.get(CHANGE_URL.format("writer")).content.decode()

    assert "max_seconds" in page


# Successive changes


def test_changes_chain_old_values(staff):
    configure_agent("writer", agent_values={"temperature": 0.5}, settings_values={}, actor=staff, source="api")
    configure_agent("writer", agent_values={"temperature": 0.6}, settings_values={}, actor=staff, source="admin")

    newest, oldest = AgentConfigurationChange.objects.all()
    assert oldest.new_values == {"temperature": 0.5}
    assert newest.old_values == {"temperature": 0.5}
    assert newest.new_values == {"temperature": 0.6}
    assert newest.source == "admin"


def test_configure_rejects_field_outside_audited_list(staff):
    with pytest.raises(ValueError, match="cannot set uses_model"):
        configure_agent("writer", agent_values={"uses_model": False}, settings_values={}, actor=staff, source="api")

    assert AgentConfigurationChange.objects.count() == 0


def test_audit_row_keeps_author_after_user_is_deleted(owner):
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    configure_agent("writer", agent_values={"top_k": 30}, settings_values={}, actor=owner, source="api")

    owner.delete()

    change = AgentConfigurationChange.objects.get()
    assert change.changed_by is None
    assert change.changed_by_email == "lakshmi@example.com"


# Read-only pages


def test_log_page_lists_api_and_admin_changes(admin_client, staff_client):
    staff_client.post(API_URL.format("writer"), {"performance_parameters": {"top_p": 0.8}}, format="json")
    planner = Agent.objects.get(pk="planner")
    admin_client.post(CHANGE_URL.format("planner"), change_form(planner, max_tokens="30"))

    page = admin_client.get(LOG_URL).content.decode()

    assert "writer" in page.lower()
    assert "planner" in page.lower()
    assert "top_p" in page
    assert "max_tokens" in page
    assert ">API<" in page
    assert ">Admin<" in page


def test_log_entry_page_is_read_only(admin_client, staff_client):
    staff_client.post(API_URL.format("writer"), {"performance_parameters": {"top_p": 0.8}}, format="json")
    change = AgentConfigurationChange.objects.get()

    page = admin_client.get(f"{LOG_URL}{change.pk}/change/")
    posted = admin_client.post(f"{LOG_URL}{change.pk}/change/", {"source": "admin"})

    assert page.status_code == 200
    assert "top_p: 0.95 -&gt; 0.8" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    change.refresh_from_db()
    assert change.source == "api"


def test_log_cannot_be_added_or_deleted(admin_client, staff_client):
    staff_client.post(API_URL.format("writer"), {"performance_parameters": {"top_p": 0.8}}, format="json")
    change = AgentConfigurationChange.objects.get()

    assert admin_client.get(f"{LOG_URL}add/").status_code == 403
    assert admin_client.post(f"{LOG_URL}{change.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AgentConfigurationChange.objects.count() == 1


def test_agent_page_shows_changes_inline(admin_client, staff_client):
    staff_client.post(API_URL.format("writer"), {"performance_parameters": {"max_tokens": 80}}, format="json")

    page = admin_client.get(CHANGE_URL.format("writer")).content.decode()

    assert "configuration changes" in page.lower()
    assert "max_tokens: 96 -&gt; 80" in page
    assert "admin@example.com" in page
