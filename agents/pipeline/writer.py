"""The writer: prose paragraph by paragraph, sentence by sentence, to the target length.

Each paragraph opens with its beat's cue, and the model continues it one
sentence per call, stopping at sentence punctuation or a line break. The length
is checked after every call, so a story stops within one sentence of its target,
or one short closing paragraph past it when the ending beat is left. Words reach
the listener as the model writes them, through a ``SentenceDraft``. The draft holds
back an unfinished word and stops a call that starts copying earlier text, so
nothing streamed is ever taken back. Every model call shares the prompt prefix of the call
before it, which the runtime's context reuses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from agents.models import Agent
from agents.pipeline.beats import CONTINUATION_CUES
from agents.pipeline.draft import SentenceDraft
from agents.pipeline.prose import (
    MAX_REJECTED_SENTENCES,
    MIN_SENTENCE_TOKENS,
    PARAGRAPH_END,
    SENTENCE_ENDS,
    draw_sentence,
    tail_paragraphs,
)
from agents.pipeline.recorder import AgentStep
from agents.pipeline.sampling import max_tokens_for
from agents.pipeline.types import PipelineCancelled, PipelineListener, StoryRequest
from agents.runtime import ModelRuntime
from analysis import rasa
from analysis.text import paragraphs, word_count

MAX_PARAGRAPH_WORDS = 80
MIN_PARAGRAPH_WORDS = 12
# Words a closing paragraph may add after its cue when the target was already reached.
CLOSING_WORDS = 10
STEERING_TERMS = 3


@dataclass
class WriterOutput:
    content: str
    paragraphs_written: int
    mean_logprob: float | None
    steering: list[dict[str, Any]] = field(default_factory=list)


def paragraph_schedule(beat_cues: list[str], paragraph_count: int) -> list[str]:
    """Spread the beats over ``paragraph_count`` paragraphs, in order.

    Paragraph ``i`` belongs to beat ``floor(i * beats / paragraphs)``. The first
    paragraph of a beat opens with its cue and the others with a continuation cue.
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
        self._calls = 0
        self._rejected: dict[str, int] = {}
        self._stopped_as_repeats = 0

    def write(self, content: str) -> WriterOutput:
        """Continue ``content`` (empty, or the text a previous attempt saved) to the target."""
        with AgentStep(self.story_id, "writer") as step:
            agent = step.agent
            cues = [beat["cue"] for beat in self.plan["beats"]]
            count, per_paragraph = paragraph_plan(self.request.target_length, len(cues))
            schedule = paragraph_schedule(cues, count)
            tokens_per_word = self._tokens_per_word()
            index = len(paragraphs(content))
            if content and not content.endswith(SENTENCE_ENDS):
                # An earlier attempt died in the middle of a sentence: finish it first.
                content = self._close_open_sentence(step, agent, content, tokens_per_word)

            while word_count(content) < self.request.target_length:
                if index < len(schedule):
                    cue = schedule[index]
                    # Spread what is left over the paragraphs left, so an early long
                    # paragraph shortens the later ones instead of crowding out the ending.
                    words_left = self.request.target_length - word_count(content)
                    share = math.ceil(words_left / (len(schedule) - index))
                else:
                    cue = CONTINUATION_CUES[index % len(CONTINUATION_CUES)]
                    share = min(per_paragraph, self.request.target_length - word_count(content))
                content = self._add_paragraph(step, agent, content, cue, share, tokens_per_word)
                index += 1

            if index < len(schedule):
                # The target was reached early: close with the ending beat, one short
                # paragraph past the target at most.
                ending = schedule[-1]
                content = self._add_paragraph(
                    step, agent, content, ending, word_count(ending) + CLOSING_WORDS, tokens_per_word
                )
                index += 1

            step.summary = f"{word_count(content)} words in {index} paragraphs"
            step.details["paragraphs"] = index
            step.details["tokens_per_word"] = round(tokens_per_word, 3)
            step.details["steering"] = self.steering
            step.details["rejected_sentences"] = self._rejected
            step.details["calls_stopped_as_repeats"] = self._stopped_as_repeats
            return WriterOutput(
                content=content, paragraphs_written=index, mean_logprob=step.mean_logprob, steering=self.steering
            )

    def _add_paragraph(
        self, step: AgentStep, agent: Agent, content: str, cue: str, share: int, tokens_per_word: float
    ) -> str:
        separator = "\n\n" if content else ""
        self._emit(separator + cue)
        paragraph = self._write_paragraph(step, agent, content, separator, cue, share, tokens_per_word)
        content = content + separator + paragraph
        self.listener.checkpoint(self.plan, content)
        return content

    def _close_open_sentence(self, step: AgentStep, agent: Agent, content: str, tokens_per_word: float) -> str:
        """Continue the unfinished last sentence of ``content`` until it is closed, and return the whole text."""
        before, separator, paragraph = content.rpartition("\n\n")
        sentence_start = max(paragraph.rfind(end) for end in SENTENCE_ENDS) + 1
        opening = paragraph[sentence_start:]
        share = word_count(paragraph) + CLOSING_WORDS
        paragraph = self._write_paragraph(
            step, agent, before, separator, paragraph, share, tokens_per_word, opening=opening, until_closed=True
        )
        content = before + separator + paragraph
        self.listener.checkpoint(self.plan, content)
        return content

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
        paragraph: str,
        share: int,
        tokens_per_word: float,
        *,
        opening: str = "",
        until_closed: bool = False,
    ) -> str:
        """Write sentences after ``paragraph`` (its cue, or more) until it contains ``share`` words.

        A sentence may take several calls: a call the draft stopped as a repeat keeps
        the words it released, and the next call, with the next seed, continues the
        sentence. ``opening`` is the part of an unfinished sentence that ``paragraph``
        ends with. With ``until_closed`` the paragraph also ends once a sentence is
        closed. After ``MAX_REJECTED_SENTENCES`` calls in a row that kept nothing,
        the paragraph ends, and a sentence left open gets a full stop.
        """
        rejected_in_a_row = 0
        header = self._header(content)
        while True:
            remaining = share - word_count(paragraph)
            if remaining <= 0 or rejected_in_a_row >= MAX_REJECTED_SENTENCES:
                if opening:
                    self._emit(".")
                    paragraph += "."
                return paragraph
            if self.listener.should_stop():
                raise PipelineCancelled()

            prompt = self._prompt(agent, header, content + separator + paragraph)
            budget = max(MIN_SENTENCE_TOKENS, math.ceil((remaining + 4) * tokens_per_word))
            draft = SentenceDraft(content + paragraph[: len(paragraph) - len(opening)], opening, self._emit)
            completion = draw_sentence(
                self.runtime,
                agent,
                step,
                prompt,
                seed=self.request.seed + self._calls,
                sampling=self.request.sampling,
                budget=budget,
                should_stop=self.listener.should_stop,
                draft=draft,
            )
            self._calls += 1

            end = draft.finish(completion.stop_sequence, completion.finish_reason)
            self._stopped_as_repeats += draft.stopped
            paragraph += draft.released
            opening = "" if end.closed else opening + draft.released
            if end.problem is not None:
                rejected_in_a_row += 1
                self._rejected[end.problem] = self._rejected.get(end.problem, 0) + 1
                continue
            rejected_in_a_row = 0
            if end.closed and (until_closed or completion.stop_sequence == PARAGRAPH_END):
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
        lines = [self.plan["setting"]]
        if self.elements:
            lines.append("సంప్రదాయాలు: " + ", ".join(element["name_te"] for element in self.elements))
        if mood:
            lines.append(f"భావం: {mood}")
        setting = "\n".join(lines)
        budget = self.runtime.n_ctx - max_tokens_for(agent) - 16
        fields = {"title": self.plan["title"], "prompt": self.request.prompt, "setting": setting, "characters": characters}
        fixed_tokens = self.runtime.count_tokens(agent.prompt_template.format(**fields, story_so_far=""))
        return agent.prompt_template.format(**fields, story_so_far=self._tail(story_so_far, budget - fixed_tokens))

    def _tail(self, text: str, token_budget: int) -> str:
        return tail_paragraphs(self.runtime, text, token_budget)
