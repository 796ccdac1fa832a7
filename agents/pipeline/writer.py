"""The writer: prose paragraph by paragraph, sentence by sentence, to the target length.

Each paragraph opens with its beat's cue and the model continues it one
sentence per call (stopping at sentence punctuation or a line break), so the
length is checked after every sentence: a story stops within one sentence of
its target, never more than one paragraph past it. Every model call shares the
prompt prefix of the call before it, which the runtime's context reuses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from agents.models import Agent
from agents.pipeline.beats import CONTINUATION_CUES
from agents.pipeline.recorder import AgentStep
from agents.pipeline.sampling import completion_request, max_tokens_for
from agents.pipeline.types import PipelineCancelled, PipelineListener, StoryRequest
from agents.runtime import ModelRuntime
from analysis import rasa
from analysis.text import paragraphs, word_count

SENTENCE_ENDS = (".", "?", "!", "।")
PARAGRAPH_END = "\n"
MAX_PARAGRAPH_WORDS = 80
MIN_PARAGRAPH_WORDS = 12
# Consecutive empty answers after which a paragraph is closed rather than retried.
MAX_EMPTY_SENTENCES = 2
STEERING_TERMS = 3


@dataclass
class WriterOutput:
    content: str
    paragraphs_written: int
    mean_logprob: float | None
    steering: list[dict[str, Any]] = field(default_factory=list)


def paragraph_schedule(beat_cues: list[str], paragraph_count: int) -> list[str]:
    """Spread the beats over ``paragraph_count`` paragraphs, in order.

    Paragraph ``i`` belongs to beat ``floor(i * beats / paragraphs)``; the first
    paragraph of a beat opens with its cue and the others with a continuation cue,
    so the ending beat always closes the story.
    """
    schedule: list[str] = []
    previous = -1
    for index in range(paragraph_count):
        beat = index * len(beat_cues) // paragraph_count
        if beat != previous:
            schedule.append(beat_cues[beat])
        else:
            schedule.append(CONTINUATION_CUES[index % len(CONTINUATION_CUES)])
        previous = beat
    return schedule


def paragraph_plan(target_words: int, beat_count: int) -> tuple[int, int]:
    """Return (paragraph count, words per paragraph) for a target length."""
    count = max(beat_count, math.ceil(target_words / MAX_PARAGRAPH_WORDS))
    count = min(count, max(1, target_words // MIN_PARAGRAPH_WORDS))
    return count, math.ceil(target_words / count)


class Writer:
    """Writes one story's prose into ``content``, streaming every piece to the listener."""

    def __init__(
        self,
        story_id: str,
        request: StoryRequest,
        plan: dict[str, Any],
        elements: list[dict[str, Any]],
        runtime: ModelRuntime,
        listener: PipelineListener,
    ) -> None:
        self.story_id = story_id
        self.request = request
        self.plan = plan
        self.elements = elements
        self.runtime = runtime
        self.listener = listener
        self.steering: list[dict[str, Any]] = []

    def write(self, content: str) -> WriterOutput:
        """Continue ``content`` (empty, or the text a previous attempt saved) to the target."""
        with AgentStep(self.story_id, "writer") as step:
            agent = step.agent
            cues = [beat["cue"] for beat in self.plan["beats"]]
            count, per_paragraph = paragraph_plan(self.request.target_length, len(cues))
            schedule = paragraph_schedule(cues, count)
            tokens_per_word = self._tokens_per_word()
            index = len(paragraphs(content))

            while word_count(content) < self.request.target_length:
                cue = schedule[index] if index < len(schedule) else CONTINUATION_CUES[index % len(CONTINUATION_CUES)]
                separator = "\n\n" if content else ""
                self._emit(separator + cue)
                paragraph = self._write_paragraph(step, agent, content, separator, cue, per_paragraph, tokens_per_word)
                content = content + separator + paragraph
                self.listener.checkpoint(self.plan, content)
                index += 1

            step.summary = f"{word_count(content)} words in {index} paragraphs"
            step.details["paragraphs"] = index
            step.details["tokens_per_word"] = round(tokens_per_word, 3)
            step.details["steering"] = self.steering
            return WriterOutput(
                content=content, paragraphs_written=index, mean_logprob=step.mean_logprob, steering=self.steering
            )

    def _tokens_per_word(self) -> float:
        """Measure the tokenizer's tokens per word on the writer's own prompt (at least 1)."""
        sample = " ".join([self.request.prompt] + [beat["cue"] for beat in self.plan["beats"]])
        return max(1.0, self.runtime.count_tokens(sample) / max(1, word_count(sample)))

    def _write_paragraph(
        self,
        step: AgentStep,
        agent: Agent,
        content: str,
        separator: str,
        cue: str,
        per_paragraph: int,
        tokens_per_word: float,
    ) -> str:
        paragraph = cue
        empty_answers = 0
        header = self._header(content)
        while True:
            written = word_count(content) + word_count(paragraph)
            remaining = min(self.request.target_length - written, per_paragraph - word_count(paragraph))
            if remaining <= 0 or empty_answers >= MAX_EMPTY_SENTENCES:
                return paragraph
            if self.listener.should_stop():
                raise PipelineCancelled()

            prompt = self._prompt(agent, header, content + separator + paragraph)
            budget = math.ceil((remaining + 4) * tokens_per_word)
            completion = self.runtime.complete(
                completion_request(
                    agent,
                    prompt,
                    seed=self.request.seed + step.completion_tokens,
                    overrides=self.request.sampling,
                    budget=budget,
                    stop=list(SENTENCE_ENDS) + [PARAGRAPH_END],
                ),
                on_text=self._emit,
                should_stop=self.listener.should_stop,
            )
            step.add_completion(completion)
            if completion.finish_reason == "cancelled":
                raise PipelineCancelled()

            sentence = completion.text
            ended_by = completion.stop_sequence
            if not sentence.strip():
                empty_answers += 1
                if ended_by == PARAGRAPH_END:
                    return paragraph
                continue
            empty_answers = 0
            closing = ended_by if ended_by in SENTENCE_ENDS else "."
            if sentence.rstrip()[-1:] not in SENTENCE_ENDS:
                self._emit(closing)
                sentence += closing
            paragraph += sentence
            if ended_by == PARAGRAPH_END:
                return paragraph

    def _emit(self, text: str) -> None:
        if text:
            self.listener.text(text)

    def _header(self, content: str) -> str:
        """Compose the lines above the story: characters, setting and, when asked, the mood.

        The mood line steers the next paragraph toward the requested rasas when the
        text so far carries little of them (measured with the rasa lexicon).
        """
        focus = list(self.request.emotion_focus)
        if not focus:
            return ""
        report = rasa.analyze_emotions(content) if content else None
        weak = [name for name in focus if report is None or report.scores.get(name, 0.0) < 0.5]
        if not weak:
            return ""
        terms: list[str] = []
        for name in weak:
            terms.extend(rasa.steering_terms(name, STEERING_TERMS))
        self.steering.append({"paragraph": len(paragraphs(content)), "rasas": weak, "terms": terms})
        return ", ".join(terms)

    def _prompt(self, agent: Agent, mood: str, story_so_far: str) -> str:
        characters = ", ".join(character["name_te"] for character in self.plan["characters"])
        elements = ", ".join(element["name_te"] for element in self.elements)
        setting = self.plan["setting"] + (f" ({elements})" if elements else "") + (f". భావం: {mood}" if mood else "")
        budget = self.runtime.n_ctx - max_tokens_for(agent) - 16
        fields = {"title": self.plan["title"], "prompt": self.request.prompt, "setting": setting, "characters": characters}
        fixed_tokens = self.runtime.count_tokens(agent.prompt_template.format(**fields, story_so_far=""))
        return agent.prompt_template.format(**fields, story_so_far=self._tail(story_so_far, budget - fixed_tokens))

    def _tail(self, text: str, token_budget: int) -> str:
        """Keep the last paragraphs of ``text`` that fit ``token_budget`` tokens.

        The current paragraph is always kept whole; earlier ones are dropped from
        the start, so the model sees the most recent prose.
        """
        if self.runtime.count_tokens(text) <= token_budget:
            return text
        parts = text.split("\n\n")
        kept = [parts[-1]]
        for part in reversed(parts[:-1]):
            candidate = "\n\n".join([part] + kept)
            if self.runtime.count_tokens(candidate) > token_budget:
                break
            kept.insert(0, part)
        return "\n\n".join(kept)
