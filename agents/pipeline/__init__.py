"""The agent pipeline that writes a story: planner, cultural, writer, emotion, editor."""

from agents.pipeline.orchestrator import run_pipeline
from agents.pipeline.types import PipelineCancelled

__all__ = ["PipelineCancelled", "run_pipeline"]
