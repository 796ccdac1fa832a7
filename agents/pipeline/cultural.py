"""The cultural agent: elements of the knowledge base that fit the request."""

from __future__ import annotations

from typing import Any

from agents.pipeline.recorder import AgentStep
from agents.pipeline.types import StoryRequest
from analysis import culture

ELEMENT_LIMIT = 4
# Names and places are the planner's; this step adds festivals, foods and customs.
CATEGORIES = ("festival", "food", "custom")


def choose_elements(story_id: str, request: StoryRequest, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the cultural step and return the chosen elements as plain dicts."""
    with AgentStep(story_id, "cultural") as step:
        candidates = culture.select_elements(
            request.cultural_context, request.story_type, request.prompt, limit=ELEMENT_LIMIT * 3
        )
        chosen = [element for element in candidates if element.category in CATEGORIES][:ELEMENT_LIMIT]
        elements = [
            {"id": element.id, "name_te": element.name_te, "name_en": element.name_en, "category": element.category}
            for element in chosen
        ]
        step.summary = ", ".join(element["name_en"] for element in elements) or "no fitting elements"
        step.details["element_ids"] = [element["id"] for element in elements]
        return elements
