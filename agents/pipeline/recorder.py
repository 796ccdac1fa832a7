"""Recording of one agent step as an AgentRun row, with its measured cost."""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

from django.utils import timezone

from agents.models import AgentRun, AgentRunOutcome
from agents.pipeline.types import PipelineCancelled
from agents.services import agent_config
from agents.runtime import Completion

logger = logging.getLogger(__name__)


class AgentStep:
    """Context manager around one role's step for one story.

    It reads the role's Agent row fresh, so a configuration change applies to the
    next step without a restart, and writes the AgentRun when the step ends:
    succeeded, fell back (the model's output was rejected or the role is disabled),
    cancelled or failed with the error.
    """

    def __init__(self, story_id: str, role: str) -> None:
        self.story_id = story_id
        self.role = role
        self.agent = agent_config(role)
        self.summary = ""
        self.details: dict[str, Any] = {}
        self.fell_back = False
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._logprob_sum = 0.0
        self._logprob_tokens = 0
        self._calls = 0
        self._cached_prompt_tokens = 0
        self._prompt_seconds = 0.0
        self._decode_seconds = 0.0
        self._started = 0.0
        self.run: AgentRun | None = None

    def __enter__(self) -> AgentStep:
        self._started = time.monotonic()
        self.run = AgentRun.objects.create(story_id=self.story_id, agent=self.agent)
        return self

    def add_completion(self, completion: Completion) -> None:
        """Add one model call's token counts and log-probabilities to the step."""
        self._calls += 1
        self._prompt_tokens += completion.prompt_tokens
        self._completion_tokens += completion.completion_tokens
        self._cached_prompt_tokens += completion.cached_prompt_tokens
        self._prompt_seconds += completion.prompt_seconds
        self._decode_seconds += completion.decode_seconds
        if completion.mean_logprob is not None and completion.completion_tokens:
            self._logprob_sum += completion.mean_logprob * completion.completion_tokens
            self._logprob_tokens += completion.completion_tokens

    @property
    def completion_tokens(self) -> int:
        return self._completion_tokens

    @property
    def mean_logprob(self) -> float | None:
        """Token-weighted mean log-probability of every token this step sampled."""
        if not self._logprob_tokens:
            return None
        return self._logprob_sum / self._logprob_tokens

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        assert self.run is not None
        seconds = time.monotonic() - self._started
        if exc_type is None:
            outcome = AgentRunOutcome.FELL_BACK if self.fell_back else AgentRunOutcome.SUCCEEDED
            error = ""
        elif issubclass(exc_type, PipelineCancelled):
            outcome, error = AgentRunOutcome.CANCELLED, ""
        else:
            outcome, error = AgentRunOutcome.FAILED, f"{exc_type.__name__}: {exc}"
        self.run.finished_at = timezone.now()
        self.run.seconds = round(seconds, 4)
        self.run.prompt_tokens = self._prompt_tokens
        self.run.completion_tokens = self._completion_tokens
        self.run.outcome = outcome
        self.run.error = error
        self.run.summary = self.summary
        self.run.details = {
            **self.details,
            "mean_logprob": self.mean_logprob,
            "model_calls": self._calls,
            "cached_prompt_tokens": self._cached_prompt_tokens,
            "prompt_seconds": round(self._prompt_seconds, 4),
            "decode_seconds": round(self._decode_seconds, 4),
        }
        self.run.save()
        logger.info(
            "Story %s: agent %s %s in %.2f s (%d prompt + %d completion tokens)",
            self.story_id,
            self.role,
            outcome,
            seconds,
            self._prompt_tokens,
            self._completion_tokens,
        )
