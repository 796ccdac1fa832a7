"""The llama.cpp runtime against the real default model (Gemma 3 270M), with few tokens per call."""

from __future__ import annotations

import math
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from agents.runtime import (
    CompletionRequest,
    ModelBusy,
    ModelRuntime,
    ModelUnavailable,
    PromptTooLong,
    check_model_available,
    get_runtime,
    loaded_runtimes,
    model_load_count,
)
from agents.runtime.model_files import check_model_file, ensure_default_model
from agents.runtime.textstream import TextStream

TELUGU_PROMPTS = [
    "ఒకప్పుడు ఒక చిన్న గ్రామంలో రాము అనే రైతు ఉండేవాడు. అతను",
    "సీత తోటలో పూలు కోస్తూ పాట పాడింది. ఆ పాట విని",
    "క్షమ కృష్ణుడు అడవిలో దారి తప్పాడు. అప్పుడు",
]
# Under a grammar the model spells Telugu one UTF-8 byte per token, so a token limit
# can fall inside a three-byte letter.
SPELLED = "రాము వచ్చాడు. సీత"
SPELLED_GRAMMAR = f'root ::= "{SPELLED}"'


@pytest.fixture(scope="module")
def runtime() -> ModelRuntime:
    return get_runtime()


def complete_collecting(runtime: ModelRuntime, request: CompletionRequest, **kwargs):
    deltas: list[str] = []
    completion = runtime.complete(request, on_text=deltas.append, **kwargs)
    return completion, deltas


def assert_whole_characters(deltas: list[str]) -> None:
    for delta in deltas:
        assert delta, "an empty delta was sent"
        assert "\ufffd" not in delta
        # A lone surrogate is how half a character would survive in a str.
        delta.encode("utf-8")


# Text stream without the model


def test_stream_waits_for_whole_letter_at_every_split() -> None:
    data = "క్షమ రాము".encode()
    for split in range(len(data) + 1):
        stream = TextStream([])
        sent = stream.push(data[:split]).text + stream.push(data[split:]).text + stream.finish()
        assert sent == "క్షమ రాము"


def test_stream_drops_incomplete_trailing_bytes() -> None:
    stream = TextStream([])
    first = stream.push("ర".encode() + "ా".encode()[:2])
    assert first.text == "ర"
    assert stream.finish() == ""


def test_stream_drops_invalid_bytes_and_replacement_characters() -> None:
    stream = TextStream([])
    sent = stream.push(b"\xff" + "స\ufffdీ".encode()).text + stream.finish()
    assert sent == "సీ"


def test_stream_holds_back_possible_stop_start() -> None:
    stream = TextStream(["వచ్చా"])
    first = stream.push("రాము వ".encode())
    assert first.text == "రాము "
    second = stream.push("చ్చాడు".encode())
    assert second.text == ""
    assert second.stop_sequence == "వచ్చా"
    assert stream.finish() == ""


def test_stream_releases_held_text_when_no_stop_follows() -> None:
    stream = TextStream(["వచ్చా"])
    sent = stream.push("రాము వ".encode()).text + stream.push("ెళ్ళాడు".encode()).text + stream.finish()
    assert sent == "రాము వెళ్ళాడు"
    assert stream.stop_sequence is None


def test_stream_picks_first_stop_in_text() -> None:
    stream = TextStream(["\n", "."])
    step = stream.push("ఒకటి. రెండు\n".encode())
    assert step.text == "ఒకటి"
    assert step.stop_sequence == "."


# Model files


def test_missing_model_path_is_unavailable(settings, tmp_path: Path) -> None:
    missing = tmp_path / "missing.gguf"
    settings.STORYENGINE_MODEL_PATH = str(missing)

    with pytest.raises(ModelUnavailable) as raised:
        get_runtime()
    assert str(missing) in str(raised.value)
    assert "STORYENGINE_MODEL_PATH" in str(raised.value)

    available, reason = check_model_available()
    assert available is False
    assert str(missing) in reason


def test_non_gguf_file_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("not a model")

    with pytest.raises(ModelUnavailable) as raised:
        check_model_file(path, "STORYENGINE_MODEL_PATH")
    assert "not a GGUF file" in str(raised.value)


def test_missing_llama_cpp_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import llama_cpp` raise ImportError, as on a host without it.
    monkeypatch.setitem(sys.modules, "llama_cpp", None)

    available, reason = check_model_available()
    assert available is False
    assert "llama-cpp-python" in reason


def test_default_model_assembles_once(tmp_path: Path) -> None:
    path = ensure_default_model(tmp_path)
    first_mtime = path.stat().st_mtime_ns

    assert path.read_bytes()[:4] == b"GGUF"
    assert ensure_default_model(tmp_path) == path
    assert path.stat().st_mtime_ns == first_mtime
    assert [entry.name for entry in tmp_path.iterdir() if entry.name.endswith(".partial")] == []


def test_default_model_replaces_truncated_file(tmp_path: Path) -> None:
    path = ensure_default_model(tmp_path)
    expected_size = path.stat().st_size
    with path.open("r+b") as model_file:
        model_file.truncate(1000)

    assert ensure_default_model(tmp_path) == path
    assert path.stat().st_size == expected_size


def test_check_reports_available_model(runtime: ModelRuntime) -> None:
    available, reason = check_model_available()
    assert available is True
    assert "llama-cpp-python" in reason


# Loading and counting


def test_runtime_loads_once_per_process(runtime: ModelRuntime) -> None:
    loads = model_load_count()
    for seed in range(3):
        assert get_runtime() is runtime
        runtime.complete(CompletionRequest(prompt=TELUGU_PROMPTS[0], max_tokens=2, seed=seed))

    assert model_load_count() == loads
    assert loaded_runtimes().count(runtime) == 1


def test_info_describes_loaded_model(runtime: ModelRuntime) -> None:
    info = runtime.info()
    assert info["path"] == str(runtime.path)
    assert info["file_size"] == runtime.path.stat().st_size
    assert info["n_ctx"] == runtime.n_ctx
    assert info["n_threads"] >= 1
    assert info["loaded_at"]


def test_count_tokens_includes_beginning_token(runtime: ModelRuntime) -> None:
    assert runtime.count_tokens("") == 1
    sample = TELUGU_PROMPTS[0]
    assert runtime.count_tokens(sample) == len(runtime.llm.tokenize(sample.encode(), add_bos=True))
    assert runtime.count_tokens(sample + " " + sample) > runtime.count_tokens(sample)


def test_prompt_tokens_match_count(runtime: ModelRuntime) -> None:
    completion = runtime.complete(CompletionRequest(prompt=TELUGU_PROMPTS[1], max_tokens=1, seed=1))
    assert completion.prompt_tokens == runtime.count_tokens(TELUGU_PROMPTS[1])


# Streaming


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_deltas_join_to_text_for_telugu(runtime: ModelRuntime, seed: int) -> None:
    prompt = TELUGU_PROMPTS[seed % len(TELUGU_PROMPTS)]
    completion, deltas = complete_collecting(
        runtime, CompletionRequest(prompt=prompt, max_tokens=12, temperature=1.0, seed=seed)
    )

    assert "".join(deltas) == completion.text
    assert_whole_characters(deltas)
    assert completion.completion_tokens <= 12


@pytest.mark.parametrize("max_tokens", range(1, 9))
def test_token_limit_inside_letter_drops_partial_bytes(runtime: ModelRuntime, max_tokens: int) -> None:
    completion, deltas = complete_collecting(
        runtime, CompletionRequest(prompt="పేరు: ", max_tokens=max_tokens, seed=1, grammar=SPELLED_GRAMMAR)
    )

    assert completion.finish_reason == "length"
    assert completion.completion_tokens == max_tokens
    assert "".join(deltas) == completion.text
    assert_whole_characters(deltas)
    assert SPELLED.startswith(completion.text)


def test_stop_string_is_never_sent(runtime: ModelRuntime) -> None:
    completion, deltas = complete_collecting(
        runtime,
        CompletionRequest(prompt="పేరు: ", max_tokens=60, seed=1, grammar=SPELLED_GRAMMAR, stop=["వచ్చా"]),
    )

    assert completion.text == "రాము "
    assert "".join(deltas) == completion.text
    assert completion.finish_reason == "stop"
    assert completion.stop_sequence == "వచ్చా"


def test_stop_string_ends_free_text(runtime: ModelRuntime) -> None:
    for seed in range(1, 4):
        completion, deltas = complete_collecting(
            runtime, CompletionRequest(prompt=TELUGU_PROMPTS[0], max_tokens=40, seed=seed, stop=[".", "\n"])
        )
        assert "".join(deltas) == completion.text
        assert "." not in completion.text
        assert "\n" not in completion.text
        assert_whole_characters(deltas)
        if completion.finish_reason == "stop":
            assert completion.stop_sequence in {".", "\n", None}


def test_same_seed_gives_same_text(runtime: ModelRuntime) -> None:
    request = CompletionRequest(prompt=TELUGU_PROMPTS[2], max_tokens=10, temperature=0.9, seed=77)
    # Both calls evaluate the prompt from scratch. A reused prompt re-evaluates its last
    # token alone, whose logits can differ in the last bits from the batched evaluation,
    # which at temperature 0.9 may change a draw (tests/agents/test_prefix_reuse.py).
    runtime.clear_prompt_cache()
    first = runtime.complete(request)
    runtime.clear_prompt_cache()
    second = runtime.complete(request)

    assert first.text == second.text
    assert first.seed == 77


def test_shared_prefix_is_not_evaluated_again(runtime: ModelRuntime) -> None:
    prefix = TELUGU_PROMPTS[0]
    runtime.complete(CompletionRequest(prompt=prefix, max_tokens=2, seed=1))
    completion = runtime.complete(CompletionRequest(prompt=prefix + " తన పొలంలో", max_tokens=2, seed=1))

    assert completion.cached_prompt_tokens >= runtime.count_tokens(prefix) - 2
    assert completion.cached_prompt_tokens < completion.prompt_tokens


def test_cached_prompt_gives_same_text(runtime: ModelRuntime) -> None:
    request = CompletionRequest(prompt=TELUGU_PROMPTS[1], max_tokens=8, temperature=0.0, repeat_penalty=1.0)
    runtime.clear_prompt_cache()
    cold = runtime.complete(request)
    warm = runtime.complete(request)

    assert cold.cached_prompt_tokens == 0
    # The last prompt token is evaluated again because sampling needs its logits.
    assert warm.cached_prompt_tokens == warm.prompt_tokens - 1
    assert warm.text == cold.text


# Limits and errors


def test_prompt_longer_than_context_is_rejected(runtime: ModelRuntime) -> None:
    prompt = "కథ " * runtime.n_ctx

    with pytest.raises(PromptTooLong) as raised:
        runtime.complete(CompletionRequest(prompt=prompt, max_tokens=16))
    assert raised.value.prompt_tokens == runtime.count_tokens(prompt)
    assert raised.value.n_ctx == runtime.n_ctx
    assert str(raised.value.prompt_tokens) in str(raised.value)
    assert "STORYENGINE_N_CTX" in str(raised.value)


def test_completion_budget_counts_toward_context(runtime: ModelRuntime) -> None:
    with pytest.raises(PromptTooLong) as raised:
        runtime.complete(CompletionRequest(prompt=TELUGU_PROMPTS[0], max_tokens=runtime.n_ctx))
    assert raised.value.max_tokens == runtime.n_ctx
    assert "max_tokens" in str(raised.value)


def test_invalid_request_is_rejected(runtime: ModelRuntime) -> None:
    with pytest.raises(ValueError, match="max_tokens=0"):
        runtime.complete(CompletionRequest(prompt="కథ", max_tokens=0))
    with pytest.raises(ValueError, match="top_p=0"):
        runtime.complete(CompletionRequest(prompt="కథ", max_tokens=1, top_p=0))


# Grammar


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_choice_grammar_returns_an_option(runtime: ModelRuntime, seed: int) -> None:
    completion = runtime.complete(
        CompletionRequest(
            prompt="కథలో ముఖ్య పాత్ర పేరు: ", max_tokens=20, temperature=1.0, seed=seed, grammar='root ::= "రాము" | "సీత"'
        )
    )
    assert completion.text in {"రాము", "సీత"}
    assert completion.finish_reason == "stop"


@pytest.mark.parametrize("seed", [1, 2])
def test_digit_grammar_overrides_telugu_continuation(runtime: ModelRuntime, seed: int) -> None:
    # The model would continue in Telugu, so most drawn tokens are rejected and redrawn.
    completion = runtime.complete(
        CompletionRequest(prompt=TELUGU_PROMPTS[0], max_tokens=12, seed=seed, grammar='root ::= [0-9] [0-9] [0-9]?')
    )
    assert completion.text.isdigit()
    assert 2 <= len(completion.text) <= 3


def test_invalid_grammar_raises_value_error(runtime: ModelRuntime) -> None:
    with pytest.raises(ValueError, match="GBNF"):
        runtime.complete(CompletionRequest(prompt="కథ", max_tokens=2, grammar="root ::= ("))


# Log-probability


def test_mean_logprob_matches_reference(runtime: ModelRuntime) -> None:
    import numpy as np
    import llama_cpp

    completion = runtime.complete(
        CompletionRequest(prompt=TELUGU_PROMPTS[0], max_tokens=1, temperature=0.0, repeat_penalty=1.0, seed=1)
    )
    # The context still contains the logits the one token was sampled from.
    pointer = llama_cpp.llama_get_logits_ith(runtime.llm.ctx, -1)
    logits = np.ctypeslib.as_array(pointer, shape=(runtime.llm.n_vocab(),)).astype(np.float64)
    peak = logits.max()
    reference = peak - (peak + math.log(np.exp(logits - peak).sum()))

    assert completion.mean_logprob is not None
    assert completion.mean_logprob == pytest.approx(reference, abs=1e-4)


def test_greedy_logprob_is_in_range(runtime: ModelRuntime) -> None:
    completion = runtime.complete(
        CompletionRequest(prompt=TELUGU_PROMPTS[1], max_tokens=8, temperature=0.0, repeat_penalty=1.0)
    )
    # A greedy token is the most likely of n_vocab, so its probability is at least 1 / n_vocab.
    assert completion.mean_logprob is not None
    assert -math.log(runtime.llm.n_vocab()) <= completion.mean_logprob <= 0.0


def test_logprob_can_be_turned_off(runtime: ModelRuntime) -> None:
    completion = runtime.complete(CompletionRequest(prompt=TELUGU_PROMPTS[1], max_tokens=2, measure_logprob=False))
    assert completion.mean_logprob is None


# Cancellation and concurrency


def test_should_stop_cancels_between_tokens(runtime: ModelRuntime) -> None:
    checks = 0

    def stop_after_three() -> bool:
        nonlocal checks
        checks += 1
        return checks > 3

    completion, deltas = complete_collecting(
        runtime, CompletionRequest(prompt=TELUGU_PROMPTS[0], max_tokens=30, seed=5), should_stop=stop_after_three
    )

    assert completion.finish_reason == "cancelled"
    assert completion.completion_tokens == 3
    assert "".join(deltas) == completion.text


def test_should_stop_before_start_generates_nothing(runtime: ModelRuntime) -> None:
    completion, deltas = complete_collecting(
        runtime, CompletionRequest(prompt=TELUGU_PROMPTS[0], max_tokens=30), should_stop=lambda: True
    )

    assert completion.finish_reason == "cancelled"
    assert completion.completion_tokens == 0
    assert completion.text == ""
    assert deltas == []


def test_concurrent_calls_each_finish_whole(runtime: ModelRuntime) -> None:
    requests = [
        CompletionRequest(prompt="పేరు: ", max_tokens=60, seed=1, grammar=SPELLED_GRAMMAR),
        CompletionRequest(prompt="పేరు: ", max_tokens=20, seed=2, grammar='root ::= "రాము" | "సీత"'),
        CompletionRequest(prompt=TELUGU_PROMPTS[2], max_tokens=6, seed=3),
    ]
    results: dict[int, tuple[str, str]] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            completion, deltas = complete_collecting(runtime, requests[index])
            results[index] = (completion.text, "".join(deltas))
        except BaseException as exc:  # collected so the main thread can fail the test with it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    assert sorted(results) == [0, 1, 2]
    assert results[0] == (SPELLED, SPELLED)
    assert results[1][0] in {"రాము", "సీత"}
    assert results[2][0] == results[2][1]


def test_busy_context_raises_after_lock_timeout(runtime: ModelRuntime) -> None:
    inside = threading.Event()
    release = threading.Event()

    def hold_between_tokens() -> bool:
        inside.set()
        release.wait(timeout=60)
        return True

    holder = threading.Thread(
        target=runtime.complete,
        args=(CompletionRequest(prompt=TELUGU_PROMPTS[0], max_tokens=5),),
        kwargs={"should_stop": hold_between_tokens},
    )
    holder.start()
    try:
        assert inside.wait(timeout=60)
        assert runtime.busy
        with pytest.raises(ModelBusy):
            runtime.complete(CompletionRequest(prompt="కథ", max_tokens=1), lock_timeout=0.05)
    finally:
        release.set()
        holder.join(timeout=60)
    assert not runtime.busy


# Command


def test_prepare_model_reports_ready_model(runtime: ModelRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("prepare_model", "--max-tokens", "2", "--skip-checksum")
    output = capsys.readouterr().out

    assert str(runtime.path) in output
    assert "OK:" in output


def test_prepare_model_fails_on_missing_file(settings, tmp_path: Path) -> None:
    settings.STORYENGINE_MODEL_PATH = str(tmp_path / "missing.gguf")

    with pytest.raises(CommandError, match="missing.gguf"):
        call_command("prepare_model")
