"""Payloads passed between the story job and the agent pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class StoryRequest:
    """The writer's request, validated and NFC-normalized at the boundary."""

    prompt: str
    story_type: str
    cultural_context: str
    emotion_focus: tuple[str, ...]
    target_length: int
    seed: int
    sampling: dict[str, float | int] = field(default_factory=dict)


@dataclass(frozen=True)
class RefinementRequest:
    """A refinement of one story version, validated and NFC-normalized at the boundary.

    ``content`` is the text of the version being refined and ``refinement_type`` one
    of the API's refinement types. ``improvements`` are the client's wishes in free
    text (at least one). A paragraph containing any of ``preserve_elements`` is kept
    verbatim. ``plan`` is the story's saved plan, or empty when it has none.
    """

    title: str
    content: str
    story_type: str
    cultural_context: str
    emotion_focus: tuple[str, ...]
    target_length: int
    refinement_type: str
    improvements: tuple[str, ...]
    preserve_elements: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    sampling: dict[str, float | int] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)


@dataclass
class Checkpoint:
    """The state a previous attempt saved: the plan and the text written so far."""

    plan: dict[str, Any] = field(default_factory=dict)
    content: str = ""


@dataclass
class PipelineResult:
    title: str
    content: str
    plan: dict[str, Any]
    emotions: list[dict[str, Any]]
    emotional_arc: list[dict[str, Any]]
    cultural_elements: list[dict[str, Any]]
    quality_score: float
    quality_components: dict[str, float]
    word_count: int
    model: str


class PipelineCancelled(Exception):
    """The story was cancelled while a step was running."""


class PipelineListener(Protocol):
    """Callbacks the story job passes in, so the pipeline never imports stories."""

    def stage_started(self, role: str) -> None: ...

    def text(self, delta: str) -> None: ...

    def stage_finished(self, role: str, summary: str) -> None: ...

    def checkpoint(self, plan: dict[str, Any], content: str) -> None: ...

    def should_stop(self) -> bool: ...
