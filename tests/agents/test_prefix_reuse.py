"""Prompt reuse between the writer's successive sentence calls, on the real default model.

The writer's next prompt is its last prompt, the sentence the model just wrote
and, at a paragraph break, the next cue. The context already contains the last
prompt and the sampled tokens, so only the text after them needs evaluating. These
tests pin that down, because every token evaluated again delays the next sentence.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.pipeline.prose import PARAGRAPH_END, PENALTY_WINDOW, PROSE_SCRIPT, SENTENCE_ENDS, finish_sentence
from agents.runtime import CompletionRequest, ModelRuntime, get_runtime

OPENING = "తెలుగు కథ: రాము కథ\nపాత్రలు: రాము, సీత\nనేపథ్యం: గోదావరి ఒడ్డున ఒక గ్రామం\n\nగోదావరి దగ్గర రాము అనే రైతు ఉండేవాడు."
NEXT_CUE = "ఆ తర్వాత"


@pytest.fixture(scope="module")
def runtime() -> ModelRuntime:
    return get_runtime()


def sentence_request(prompt: str, seed: int) -> CompletionRequest:
    """Build a request shaped like the writer's: one sentence, Telugu script, repeat penalties over 64 tokens."""
    return CompletionRequest(
        prompt=prompt,
        max_tokens=40,
        seed=seed,
        stop=list(SENTENCE_ENDS) + [PARAGRAPH_END],
        script=PROSE_SCRIPT,
        penalty_last_n=PENALTY_WINDOW,
    )


def finished_sentence(runtime: ModelRuntime, prompt: str, seed: int):
    runtime.clear_prompt_cache()
    completion = runtime.complete(sentence_request(prompt, seed))
    assert completion.stop_sequence in SENTENCE_ENDS, f"seed {seed} gave no whole sentence: {completion.text!r}"
    return completion


@pytest.mark.parametrize("seed", [1, 13])
def test_next_sentence_reuses_sampled_tokens(runtime: ModelRuntime, seed: int) -> None:
    first = finished_sentence(runtime, OPENING, seed)
    prompt = OPENING + first.text + first.stop_sequence
    second = runtime.complete(replace(sentence_request(prompt, seed + 1), max_tokens=2))

    # The context contains the prompt and every sampled token but the last (the stop
    # string's), which the next prompt ends with and so evaluates anyway.
    in_context = first.prompt_tokens + first.completion_tokens - 1
    assert second.cached_prompt_tokens == min(in_context, second.prompt_tokens - 1)
    assert second.prompt_tokens - second.cached_prompt_tokens <= 2


@pytest.mark.parametrize("seed", [1, 13])
def test_paragraph_cue_evaluates_only_new_text(runtime: ModelRuntime, seed: int) -> None:
    first = finished_sentence(runtime, OPENING, seed)
    accepted = OPENING + first.text + first.stop_sequence
    new_text = "\n\n" + NEXT_CUE
    second = runtime.complete(replace(sentence_request(accepted + new_text, seed + 1), max_tokens=2))

    new_tokens = runtime.count_tokens(new_text) - 1  # without the beginning-of-sequence token
    evaluated = second.prompt_tokens - second.cached_prompt_tokens
    # The stop string's token was sampled but not evaluated, so it comes on top of the new text.
    assert evaluated <= new_tokens + 1
    assert second.cached_prompt_tokens >= first.prompt_tokens


def test_word_sampled_in_pieces_is_not_evaluated_again(runtime: ModelRuntime) -> None:
    # With seed 3 the model writes " రైతు" as " రై" + "తు", which tokenizing the
    # accepted text joins into one token 24 tokens before the prompt's end.
    runtime.clear_prompt_cache()
    first = runtime.complete(sentence_request(OPENING, 3))
    in_context = [int(token) for token in runtime.llm.input_ids[: runtime.llm.n_tokens]]
    sentence, problem = finish_sentence(first.text, first.stop_sequence, OPENING)
    assert problem is None
    prompt = OPENING + sentence
    tokenized = runtime.llm.tokenize(prompt.encode(), add_bos=True)
    assert tokenized[: len(in_context)] != in_context, "the sampled tokens no longer differ from the tokenized text"

    second = runtime.complete(replace(sentence_request(prompt, 4), max_tokens=2))

    assert second.prompt_tokens - second.cached_prompt_tokens <= 2
    assert second.cached_prompt_tokens >= len(in_context) - runtime.count_tokens(first.text.rsplit(" ", 1)[-1])


def test_realigned_prompt_spells_the_prompt(runtime: ModelRuntime) -> None:
    runtime.clear_prompt_cache()
    first = runtime.complete(sentence_request(OPENING, 3))
    sentence, _ = finish_sentence(first.text, first.stop_sequence, OPENING)
    prompt = OPENING + sentence
    request = replace(sentence_request(prompt, 4), max_tokens=2)

    aligned = runtime._align_to_context(request, runtime._tokenize(prompt, False))

    assert aligned != runtime._tokenize(prompt, False)
    assert b"".join(runtime._piece(token) for token in aligned).decode() == prompt
