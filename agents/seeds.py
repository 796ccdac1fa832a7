"""The default configuration of each agent role, written by a data migration.

Prompts are few-shot-free completions in Telugu because the default model is a
small base model that continues documents rather than following instructions.
"""

from __future__ import annotations

from typing import Any

# The planner's and the writer's prompts open with the same setting line, so the
# writer's first call reuses the tokens the planner's call left in the model's context.
PLANNER_TEMPLATE = "నేపథ్యం: {setting}\nకథా వస్తువు: {prompt}\nప్రధాన పాత్ర: {protagonist}\nకథ పేరు: "

WRITER_TEMPLATE = "నేపథ్యం: {setting}\nపాత్రలు: {characters}\nతెలుగు కథ: {title}\n\n{story_so_far}"

# {refinement} carries the refinement's own lines (the rasa words, customs or
# protagonist) and {content} the refined story so far, which the model continues.
REFINER_TEMPLATE = "తెలుగు కథ: {title}\n{refinement}\nమెరుగులు: {improvements}\n\n{content}"

DEFAULT_AGENTS: list[dict[str, Any]] = [
    {
        "id": "planner",
        "name": "Planner",
        "description": "Chooses the title, characters, setting and beats of a story.",
        "uses_model": True,
        "temperature": 0.7,
        "top_p": 0.9,
        "top_k": 40,
        "repeat_penalty": 1.1,
        "max_tokens": 24,
        "stop": ["\n"],
        "prompt_template": PLANNER_TEMPLATE,
    },
    {
        "id": "cultural",
        "name": "Cultural",
        "description": "Picks festivals, foods and customs from the Telugu knowledge base that fit the request.",
        "uses_model": False,
    },
    {
        "id": "writer",
        "name": "Writer",
        "description": "Writes the prose beat by beat up to the target length.",
        "uses_model": True,
        "temperature": 0.8,
        "top_p": 0.95,
        "top_k": 40,
        "repeat_penalty": 1.1,
        "max_tokens": 96,
        "stop": [],
        "prompt_template": WRITER_TEMPLATE,
    },
    {
        "id": "emotion",
        "name": "Emotion",
        "description": "Scores the nine rasas per paragraph with the Telugu rasa lexicon.",
        "uses_model": False,
    },
    {
        "id": "editor",
        "name": "Editor",
        "description": "Measures the quality of the finished story.",
        "uses_model": False,
    },
    {
        "id": "refiner",
        "name": "Refiner",
        "description": "Rewrites a story for a refinement request.",
        "uses_model": True,
        "temperature": 0.7,
        "top_p": 0.95,
        "top_k": 40,
        "repeat_penalty": 1.15,
        "max_tokens": 512,
        "stop": [],
        "prompt_template": REFINER_TEMPLATE,
    },
]
