"""Sentence-level pieces shared by the writer and the refiner.

Both write prose one sentence per model call. The refiner accepts a sentence only
once it is finished, punctuated and not a repeat of the text before it. The writer
streams it word by word through a ``SentenceDraft`` (agents/pipeline/draft.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agents.pipeline.sampling import completion_request
from agents.pipeline.types import PipelineCancelled
from agents.runtime import Completion, ModelRuntime

if TYPE_CHECKING:
    from agents.models import Agent
    from agents.pipeline.draft import SentenceDraft
    from agents.pipeline.recorder import AgentStep
from analysis.text import normalize, words

SENTENCE_ENDS = (".", "?", "!", "।")
PARAGRAPH_END = "\n"
# A sentence gets at least this many tokens, so the budget rarely cuts one short.
MIN_SENTENCE_TOKENS = 24
# After this many rejected sentences in a row the paragraph ends without another one.
MAX_REJECTED_SENTENCES = 3
# A sentence whose word bigrams already appeared in the story at this share or more is a repeat.
REPEAT_SHARE = 0.5
MIN_SENTENCE_WORDS = 2
# Prose tokens stay in Telugu script, and the repetition penalties look back this
# many tokens, the story so far included.
PROSE_SCRIPT = "Telugu"
PENALTY_WINDOW = 64


def _bigrams(text: str) -> list[tuple[str, str]]:
    tokens = words(text)
    return list(zip(tokens, tokens[1:]))


def finish_sentence(text: str, stop_sequence: str | None, story: str) -> tuple[str, str | None]:
    """Punctuate a sentence the model wrote, or return why it is rejected.

    A sentence cut by the token budget loses its unfinished last word. The sentence
    gets back the punctuation that stopped it (a full stop when none did) and is
    NFC-normalized like every text the site stores. It is
    rejected when it is empty, shorter than two words, or a repeat: at least half
    of its word bigrams already occur in ``story``.
    Returns ``(sentence, None)`` or ``("", reason)``.
    """
    if stop_sequence is None:
        cut = text.rstrip().rfind(" ")
        text = text[:cut] if cut > 0 else ""
    text = text.rstrip()
    if not text.strip():
        return "", "empty"
    if len(words(text)) < MIN_SENTENCE_WORDS:
        return "", "too short"
    pairs = _bigrams(text)
    if pairs:
        seen = set(_bigrams(story))
        if sum(pair in seen for pair in pairs) / len(pairs) >= REPEAT_SHARE:
            return "", "repeat"
    if text[-1] not in SENTENCE_ENDS:
        text += stop_sequence if stop_sequence in SENTENCE_ENDS else "."
    return normalize(text), None


def repeated_bigram_share(text: str, story: str) -> float:
    """Return the share of ``text``'s word bigrams that already occur in ``story``.

    ``finish_sentence`` rejects a sentence as a repeat at ``REPEAT_SHARE`` or more.
    A text of fewer than two words has no bigram and returns 0.0.
    """
    pairs = _bigrams(text)
    if not pairs:
        return 0.0
    seen = set(_bigrams(story))
    return sum(pair in seen for pair in pairs) / len(pairs)


def tail_paragraphs(runtime: ModelRuntime, text: str, token_budget: int) -> str:
    """Keep the last paragraphs of ``text`` that fit ``token_budget`` tokens.

    The current paragraph is always kept whole; earlier ones are dropped from
    the start, so the prompt keeps the most recent prose.
    """
    if runtime.count_tokens(text) <= token_budget:
        return text
    parts = text.split("\n\n")
    kept = [parts[-1]]
    for part in reversed(parts[:-1]):
        candidate = "\n\n".join([part] + kept)
        if runtime.count_tokens(candidate) > token_budget:
            break
        kept.insert(0, part)
    return "\n\n".join(kept)


def draw_sentence(
    runtime: ModelRuntime,
    agent: Agent,
    step: AgentStep,
    prompt: str,
    *,
    seed: int,
    sampling: dict[str, float | int],
    budget: int,
    should_stop: Callable[[], bool],
    draft: SentenceDraft | None = None,
) -> Completion:
    """Ask the model for one sentence of Telugu prose and record its cost on ``step``.

    The call stops at sentence punctuation or a line break, bans tokens outside
    Telugu script and penalizes repeats of the prompt's last tokens. With ``draft``
    the text goes to the draft as it is sampled, and the call also ends when the
    draft stops it. Raises PipelineCancelled when ``should_stop`` ended the call.
    """
    if draft is None:
        ends_call = should_stop
    else:

        def ends_call() -> bool:
            return draft.stopped or should_stop()

    completion = runtime.complete(
        completion_request(
            agent,
            prompt,
            seed=seed,
            overrides=sampling,
            budget=budget,
            stop=list(SENTENCE_ENDS) + [PARAGRAPH_END],
            script=PROSE_SCRIPT,
            penalty_last_n=PENALTY_WINDOW,
        ),
        on_text=draft.push if draft is not None else None,
        should_stop=ends_call,
    )
    step.add_completion(completion)
    if completion.finish_reason == "cancelled" and not (draft is not None and draft.stopped):
        raise PipelineCancelled()
    return completion
