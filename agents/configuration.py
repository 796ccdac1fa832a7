"""Changes to an agent's configuration, each written to the audit log in the same transaction.

An agent's configuration is its Agent row (sampling parameters, stop strings, prompt
template, on or off) plus its AgentSettings row (collaboration settings, resource
limits, quality thresholds, cultural adaptation level). The pipeline reads the Agent
row at the start of every step, so a change applies to the next step without a restart.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from agents.models import Agent, AgentConfigurationChange, AgentSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParameterBounds:
    """The JSON type and inclusive range of one sampling parameter."""

    kind: type
    minimum: float
    maximum: float


# The same ranges as the validators on the Agent fields.
PERFORMANCE_PARAMETERS: dict[str, ParameterBounds] = {
    "temperature": ParameterBounds(float, 0.0, 2.0),
    "top_p": ParameterBounds(float, 0.01, 1.0),
    "top_k": ParameterBounds(int, 0, 1000),
    "repeat_penalty": ParameterBounds(float, 1.0, 2.0),
    "max_tokens": ParameterBounds(int, 1, 8192),
}
SETTINGS_OBJECT_FIELDS: tuple[str, ...] = ("collaboration_settings", "resource_limits", "quality_thresholds")
CULTURAL_ADAPTATION_LEVEL = "cultural_adaptation_level"
SETTINGS_FIELDS: tuple[str, ...] = (*SETTINGS_OBJECT_FIELDS, CULTURAL_ADAPTATION_LEVEL)
AGENT_FIELDS: tuple[str, ...] = ("name", "description", "enabled", *PERFORMANCE_PARAMETERS, "stop", "prompt_template")
AUDITED_FIELDS: tuple[str, ...] = (*AGENT_FIELDS, *SETTINGS_FIELDS)

# Bounds on the free-form settings objects, so that one request cannot store a large
# document in every later audit row. Values are JSON scalars or flat lists of them.
SETTINGS_MAX_KEYS = 50
SETTINGS_MAX_KEY_LENGTH = 64
SETTINGS_MAX_STRING_LENGTH = 500
SETTINGS_MAX_LIST_ITEMS = 50


@dataclass(frozen=True)
class ConfigurationResult:
    """An agent's configuration after a change, and the audit row of the change (None when nothing changed)."""

    agent_id: str
    configuration: dict[str, Any]
    change: AgentConfigurationChange | None
    effective_at: datetime


def _scalar_error(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if math.isfinite(value) else f"Invalid number {value!r}: use a finite number."
    if isinstance(value, str):
        if len(value) > SETTINGS_MAX_STRING_LENGTH:
            return f"The string is {len(value)} characters long: use at most {SETTINGS_MAX_STRING_LENGTH}."
        return None
    return f"Invalid value of type {type(value).__name__}: use a string, number, boolean, null or a list of those."


def settings_object_errors(value: Any) -> dict[str | None, list[str]]:
    """Check one settings object and return its errors keyed by setting name (None for the whole object).

    A settings object is a JSON object of at most 50 keys (1 to 64 characters each)
    whose values are strings of up to 500 characters, finite numbers, booleans, null,
    or lists of up to 50 of those.
    """
    if not isinstance(value, dict):
        return {None: [f"Expected a JSON object, got {type(value).__name__}."]}
    if len(value) > SETTINGS_MAX_KEYS:
        return {None: [f"The object has {len(value)} keys: use at most {SETTINGS_MAX_KEYS}."]}

    errors: dict[str | None, list[str]] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= SETTINGS_MAX_KEY_LENGTH:
            errors[str(key)] = [f"Invalid name: use 1 to {SETTINGS_MAX_KEY_LENGTH} characters."]
            continue
        if isinstance(item, list):
            if len(item) > SETTINGS_MAX_LIST_ITEMS:
                errors[key] = [f"The list has {len(item)} items: use at most {SETTINGS_MAX_LIST_ITEMS}."]
                continue
            messages = [message for message in map(_scalar_error, item) if message is not None]
        else:
            message = _scalar_error(item)
            messages = [message] if message is not None else []
        if messages:
            errors[key] = messages
    return errors


def settings_of(agent: Agent) -> AgentSettings:
    """Return the agent's settings row, or an unsaved one with the defaults when it has none yet."""
    try:
        return agent.agent_settings
    except AgentSettings.DoesNotExist:
        return AgentSettings(agent=agent)


def configuration_values(agent: Agent, agent_settings: AgentSettings) -> dict[str, Any]:
    """Return every audited field's current value, keyed by field name."""
    values = {name: getattr(agent, name) for name in AGENT_FIELDS}
    values.update({name: getattr(agent_settings, name) for name in SETTINGS_FIELDS})
    # A JSON round trip gives the stored form (lists, not tuples) for comparing and auditing.
    return json.loads(json.dumps(values))


def effective_configuration(agent: Agent, agent_settings: AgentSettings) -> dict[str, Any]:
    """Return the configuration the agent's next step runs with, grouped as the API shows it."""
    return {
        "enabled": agent.enabled,
        "uses_model": agent.uses_model,
        "performance_parameters": {name: getattr(agent, name) for name in PERFORMANCE_PARAMETERS},
        "collaboration_settings": agent_settings.collaboration_settings,
        "resource_limits": agent_settings.resource_limits,
        "quality_thresholds": agent_settings.quality_thresholds,
        CULTURAL_ADAPTATION_LEVEL: agent_settings.cultural_adaptation_level,
        "stop": agent.stop,
        "prompt_template": agent.prompt_template,
    }


def configure_agent(
    agent_id: str,
    *,
    agent_values: dict[str, Any],
    settings_values: dict[str, Any],
    actor: Any,
    source: str,
) -> ConfigurationResult:
    """Apply validated values to an agent and record the change in the audit log, in one transaction.

    ``agent_values`` may set any of AGENT_FIELDS and ``settings_values`` any of
    SETTINGS_FIELDS; the caller validates the values. The audit row contains the old and
    new values of the fields that changed, and no row is written when nothing changed.
    Raises Agent.DoesNotExist for an unknown agent and ValueError for a field outside
    those lists.
    """
    unknown = sorted((set(agent_values) - set(AGENT_FIELDS)) | (set(settings_values) - set(SETTINGS_FIELDS)))
    if unknown:
        raise ValueError(
            f"configure_agent() cannot set {', '.join(unknown)}: use fields of {', '.join(AUDITED_FIELDS)}."
        )

    with transaction.atomic():
        # The lock orders concurrent changes, so each audit row's old values are the
        # values the previous change wrote.
        agent = Agent.objects.select_for_update().get(pk=agent_id)
        agent_settings = AgentSettings.objects.select_for_update().filter(agent=agent).first()
        if agent_settings is None:
            agent_settings = AgentSettings(agent=agent)
        old = configuration_values(agent, agent_settings)

        for name, value in agent_values.items():
            setattr(agent, name, value)
        for name, value in settings_values.items():
            setattr(agent_settings, name, value)
        new = configuration_values(agent, agent_settings)
        changed = [name for name in AUDITED_FIELDS if old[name] != new[name]]

        changed_agent_fields = [name for name in changed if name in AGENT_FIELDS]
        if changed_agent_fields:
            agent.save(update_fields=[*changed_agent_fields, "updated_at"])
        if any(name in SETTINGS_FIELDS for name in changed):
            agent_settings.save()

        effective_at = timezone.now()
        change = None
        if changed:
            change = AgentConfigurationChange.objects.create(
                agent=agent,
                changed_at=effective_at,
                changed_by=actor if getattr(actor, "pk", None) is not None else None,
                changed_by_email=getattr(actor, "email", "") or "",
                source=source,
                old_values={name: old[name] for name in changed},
                new_values={name: new[name] for name in changed},
            )

    if change is not None:
        logger.info(
            "Agent %s configuration changed through %s by user %s: %s",
            agent_id,
            source,
            getattr(actor, "pk", None),
            ", ".join(changed),
        )
    return ConfigurationResult(
        agent_id=agent.pk,
        configuration=effective_configuration(agent, agent_settings),
        change=change,
        effective_at=effective_at,
    )
