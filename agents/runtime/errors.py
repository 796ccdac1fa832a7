"""Errors the model runtime raises to its callers."""

from __future__ import annotations


class ModelUnavailable(RuntimeError):
    """The model cannot be used: llama-cpp-python is missing, or the model file is missing or unreadable."""


class ModelBusy(RuntimeError):
    """The model's context stayed in use by another call for longer than the caller agreed to wait."""


class PromptTooLong(ValueError):
    """The prompt and the requested completion do not fit in the model's context window."""

    def __init__(self, prompt_tokens: int, max_tokens: int, n_ctx: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.n_ctx = n_ctx
        super().__init__(
            f"The prompt has {prompt_tokens} tokens and max_tokens is {max_tokens}, "
            f"{prompt_tokens + max_tokens} tokens in all, but the model context holds {n_ctx} "
            f"(STORYENGINE_N_CTX). Shorten the prompt, lower max_tokens, or raise STORYENGINE_N_CTX."
        )
