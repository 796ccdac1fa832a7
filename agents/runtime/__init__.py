"""The llama.cpp model runtime: model files, loading, tokenizing and streaming completion.

It imports no project app, so every layer above (analysis, the agent pipeline,
stories) may use it.
"""

from agents.runtime.errors import ModelBusy, ModelUnavailable, PromptTooLong
from agents.runtime.llm import Completion, CompletionRequest, ModelRuntime
from agents.runtime.model_files import resolve_model_path
from agents.runtime.registry import check_model_available, get_runtime, loaded_runtimes, model_load_count

__all__ = [
    "Completion",
    "CompletionRequest",
    "ModelBusy",
    "ModelRuntime",
    "ModelUnavailable",
    "PromptTooLong",
    "check_model_available",
    "get_runtime",
    "loaded_runtimes",
    "model_load_count",
    "resolve_model_path",
]
