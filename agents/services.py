"""Agent configuration look-ups shared by the pipeline and the API."""

from __future__ import annotations

from agents.models import Agent
from agents.seeds import DEFAULT_AGENTS

_DEFAULTS = {values["id"]: {key: value for key, value in values.items() if key != "id"} for values in DEFAULT_AGENTS}


def agent_config(role: str) -> Agent:
    """Return the role's Agent row, read fresh so admin changes apply to the next step.

    A missing row (a database flushed after the seeding migration ran) is
    recreated with the role's defaults rather than failing the story.
    """
    agent, _ = Agent.objects.get_or_create(pk=role, defaults=_DEFAULTS[role])
    return agent
