"""Turn an Agent row and per-request overrides into a model request."""

from __future__ import annotations

from django.conf import settings

from agents.models import Agent
from agents.runtime import CompletionRequest


def max_tokens_for(agent: Agent, budget: int | None = None) -> int:
    """Return the tokens one call may generate: the agent's limit, the test cap and the budget, whichever is least."""
    limit = agent.max_tokens
    cap = getattr(settings, "STORYENGINE_MAX_TOKENS_CAP", None)
    if cap:
        limit = min(limit, cap)
    if budget is not None:
        limit = min(limit, max(1, budget))
    return limit


def completion_request(
    agent: Agent,
    prompt: str,
    *,
    seed: int,
    overrides: dict[str, float | int] | None = None,
    budget: int | None = None,
    stop: list[str] | None = None,
    grammar: str | None = None,
    script: str | None = None,
    penalty_last_n: int = 64,
) -> CompletionRequest:
    """Build a request from the agent's sampling settings; the request's overrides win."""
    values = {
        "temperature": agent.temperature,
        "top_p": agent.top_p,
        "top_k": agent.top_k,
        "repeat_penalty": agent.repeat_penalty,
    }
    values.update(overrides or {})
    return CompletionRequest(
        prompt=prompt,
        max_tokens=max_tokens_for(agent, budget),
        temperature=float(values["temperature"]),
        top_p=float(values["top_p"]),
        top_k=int(values["top_k"]),
        repeat_penalty=float(values["repeat_penalty"]),
        stop=list(stop if stop is not None else agent.stop),
        seed=seed,
        grammar=grammar,
        script=script,
        penalty_last_n=penalty_last_n,
    )
