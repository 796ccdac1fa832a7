"""Decoding speed of plain llama-cpp-python next to this runtime, measured the same way.

Both functions return the same fields: ``tokens`` (completion tokens, end-of-generation
excluded), ``prompt_tokens``, ``prompt_seconds`` (prompt evaluation up to the first
sampled token, the time to first token), ``seconds`` (from the first sampled token to
the end of the stream), ``tokens_per_second`` = (tokens - 1) / seconds, because the
first token belongs to ``prompt_seconds``, and ``total_seconds``.

Run ``python -m agents.runtime.rawbench`` from the project folder to compare them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from agents.runtime.config import read_runtime_settings
from agents.runtime.llm import CompletionRequest, ModelRuntime, import_llama_cpp
from agents.runtime.model_files import resolve_model_path

DEFAULT_PROMPT = "ఒకప్పుడు ఒక చిన్న గ్రామంలో రాము అనే రైతు ఉండేవాడు. ప్రతి రోజు ఉదయం అతను"

# The sampling settings both sides use; a fixed seed makes them sample the same tokens.
SAMPLING: dict[str, Any] = {"temperature": 0.8, "top_p": 0.95, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.1}


def _decode_rate(tokens: int, seconds: float) -> float:
    return (tokens - 1) / seconds if tokens > 1 and seconds > 0 else 0.0


def _load_raw_model(llama_cpp: ModuleType, n_threads: int, seed: int, model_path: str | Path | None) -> Any:
    """Load a plain ``llama_cpp.Llama`` with this runtime's n_ctx and n_gpu_layers, ``n_threads`` for both phases."""
    runtime_settings = read_runtime_settings()
    path = Path(model_path) if model_path is not None else resolve_model_path()
    return llama_cpp.Llama(
        model_path=str(path),
        n_ctx=runtime_settings.n_ctx,
        n_threads=n_threads,
        n_threads_batch=n_threads,
        n_gpu_layers=runtime_settings.n_gpu_layers,
        seed=seed,
        logits_all=False,
        verbose=False,
    )


def raw_decode_benchmark(
    prompt: str,
    max_tokens: int,
    n_threads: int,
    *,
    seed: int = 1234,
    model_path: str | Path | None = None,
) -> dict[str, Any]:
    """Measure a plain ``Llama.create_completion(..., stream=True)`` loop on a freshly loaded model.

    The model loads with this runtime's settings (n_ctx, n_gpu_layers) and ``n_threads``
    for both prompt evaluation and decoding; loading is timed apart as ``load_seconds``.
    """
    llama_cpp = import_llama_cpp()
    load_started = time.perf_counter()
    llm = _load_raw_model(llama_cpp, n_threads, seed, model_path)
    load_seconds = time.perf_counter() - load_started
    prompt_tokens = len(llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))

    sampled_at: list[float] = []

    def note_sample(input_ids: Any, logits: Any) -> bool:
        # Called by generate() after each sampled token; it only records the time.
        sampled_at.append(time.perf_counter())
        return False

    finish_reason = None
    text_parts: list[str] = []
    started = time.perf_counter()
    for chunk in llm.create_completion(
        prompt,
        max_tokens=max_tokens,
        temperature=SAMPLING["temperature"],
        top_p=SAMPLING["top_p"],
        top_k=SAMPLING["top_k"],
        min_p=SAMPLING["min_p"],
        repeat_penalty=SAMPLING["repeat_penalty"],
        seed=seed,
        stream=True,
        stopping_criteria=llama_cpp.StoppingCriteriaList([note_sample]),
    ):
        choice = chunk["choices"][0]
        text_parts.append(choice["text"])
        finish_reason = choice["finish_reason"] or finish_reason
    finished = time.perf_counter()

    # The last sampled token is never evaluated, so n_tokens stops one short of the
    # tokens sampled; on an end-of-generation token that one is not text.
    tokens = llm.n_tokens - prompt_tokens + (1 if finish_reason == "length" else 0)
    first = sampled_at[0] if sampled_at else finished
    llm.close()
    return {
        "implementation": f"llama-cpp-python {getattr(llama_cpp, '__version__', 'unknown')} create_completion(stream=True)",
        "tokens": tokens,
        "prompt_tokens": prompt_tokens,
        "prompt_seconds": first - started,
        "seconds": finished - first,
        "tokens_per_second": _decode_rate(tokens, finished - first),
        "total_seconds": finished - started,
        "load_seconds": load_seconds,
        "n_threads": n_threads,
        "text": "".join(text_parts),
    }


def raw_first_token_benchmark(
    prompt: str,
    n_threads: int,
    *,
    rounds: int = 5,
    max_tokens: int = 24,
    seed: int = 1234,
    model_path: str | Path | None = None,
) -> dict[str, Any]:
    """Measure a plain ``create_completion(stream=True)`` from a cold prompt cache, ``rounds`` times on one model.

    The model loads once with this runtime's settings and ``n_threads``, and one
    completion of another prompt warms it up. Every round then resets the context,
    so the whole prompt is evaluated. Each round records four times from the call:
    ``first_token_seconds`` (to the first sampled token, the time to first token),
    ``first_text_seconds`` (to the first streamed chunk with text),
    ``first_word_seconds`` (to the chunk that begins a second word, which is when a
    stream that sends whole words only can send the first) and ``token_seconds`` (to
    each sampled token). ``median_*`` summarize the rounds. A round whose completion
    never began a second word gives NaN.
    """
    llama_cpp = import_llama_cpp()
    llm = _load_raw_model(llama_cpp, n_threads, seed, model_path)
    prompt_tokens = len(llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))
    sampled_at: list[float] = []

    def note_sample(input_ids: Any, logits: Any) -> bool:
        sampled_at.append(time.perf_counter())
        return False

    def run(text: str) -> tuple[float, float | None, float | None, list[float]]:
        sampled_at.clear()
        llm.reset()
        first_text_at: float | None = None
        first_word_at: float | None = None
        completion = ""
        started = time.perf_counter()
        for chunk in llm.create_completion(
            text,
            max_tokens=max_tokens,
            seed=seed,
            stream=True,
            stopping_criteria=llama_cpp.StoppingCriteriaList([note_sample]),
            **SAMPLING,
        ):
            completion += chunk["choices"][0]["text"]
            if first_text_at is None and completion:
                first_text_at = time.perf_counter()
            if first_word_at is None and len(completion.split()) >= 2:
                first_word_at = time.perf_counter()
        return started, first_text_at, first_word_at, list(sampled_at)

    def since(started: float, at: float | None) -> float:
        return at - started if at is not None else float("nan")

    run(DEFAULT_PROMPT)
    first_token, first_text, first_word, token_seconds = [], [], [], []
    for _ in range(rounds):
        started, first_text_at, first_word_at, sampled = run(prompt)
        first_token.append(sampled[0] - started)
        first_text.append(since(started, first_text_at))
        first_word.append(since(started, first_word_at))
        token_seconds.append([at - started for at in sampled])
    llm.close()
    return {
        "implementation": f"llama-cpp-python {getattr(llama_cpp, '__version__', 'unknown')} create_completion(stream=True)",
        "prompt_tokens": prompt_tokens,
        "n_threads": n_threads,
        "first_token_seconds": first_token,
        "first_text_seconds": first_text,
        "first_word_seconds": first_word,
        "token_seconds": token_seconds,
        "median_first_token_seconds": statistics.median(first_token),
        "median_first_text_seconds": statistics.median(first_text),
        "median_first_word_seconds": statistics.median(first_word),
    }


def runtime_decode_benchmark(
    runtime: ModelRuntime,
    prompt: str,
    max_tokens: int,
    *,
    seed: int = 1234,
    cold: bool = True,
    measure_logprob: bool = True,
) -> dict[str, Any]:
    """Measure ``runtime.complete`` with the same sampling as raw_decode_benchmark.

    ``cold`` clears the prompt cache first, so the whole prompt is evaluated as on a
    freshly loaded model.
    """
    if cold:
        runtime.clear_prompt_cache()
    deltas: list[str] = []
    completion = runtime.complete(
        CompletionRequest(
            prompt=prompt,
            max_tokens=max_tokens,
            temperature=SAMPLING["temperature"],
            top_p=SAMPLING["top_p"],
            top_k=SAMPLING["top_k"],
            min_p=SAMPLING["min_p"],
            repeat_penalty=SAMPLING["repeat_penalty"],
            seed=seed,
            measure_logprob=measure_logprob,
        ),
        on_text=deltas.append,
    )
    return {
        "implementation": "agents.runtime ModelRuntime.complete" + ("" if measure_logprob else " without log-probabilities"),
        "tokens": completion.completion_tokens,
        "prompt_tokens": completion.prompt_tokens,
        "cached_prompt_tokens": completion.cached_prompt_tokens,
        "prompt_seconds": completion.prompt_seconds,
        "seconds": completion.decode_seconds,
        "tokens_per_second": _decode_rate(completion.completion_tokens, completion.decode_seconds),
        "total_seconds": completion.seconds,
        "n_threads": runtime.settings.n_threads,
        "text": completion.text,
        "deltas": len(deltas),
    }


def _compare(prompt: str, max_tokens: int, n_threads: int, rounds: int) -> dict[str, Any]:
    """Alternate the three measurements for ``rounds`` rounds and summarize each by its median."""
    from agents.runtime.registry import load_runtime

    runtime = load_runtime(resolve_model_path(), replace(read_runtime_settings(), n_threads=n_threads))
    runs: dict[str, list[dict[str, Any]]] = {"raw": [], "runtime": [], "runtime_without_logprob": []}
    for round_index in range(rounds):
        order = list(runs) if round_index % 2 == 0 else list(reversed(runs))
        for name in order:
            if name == "raw":
                result = raw_decode_benchmark(prompt, max_tokens, n_threads)
            else:
                result = runtime_decode_benchmark(
                    runtime, prompt, max_tokens, measure_logprob=name == "runtime"
                )
            runs[name].append(result)

    summary: dict[str, Any] = {"prompt": prompt, "max_tokens": max_tokens, "n_threads": n_threads, "rounds": rounds}
    for name, results in runs.items():
        summary[name] = {
            "tokens": [result["tokens"] for result in results],
            "median_tokens_per_second": round(statistics.median(r["tokens_per_second"] for r in results), 2),
            "max_tokens_per_second": round(max(r["tokens_per_second"] for r in results), 2),
            "median_prompt_seconds": round(statistics.median(r["prompt_seconds"] for r in results), 4),
            "same_text_as_raw": [r["text"] == raw["text"] for r, raw in zip(results, runs["raw"])],
        }
    return summary


def main(argv: list[str] | None = None) -> int:
    """Compare plain llama-cpp-python decoding with the runtime and write the summary as JSON to stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default=DEFAULT_PROMPT, help="Prompt text (default: a Telugu story opening).")
    parser.add_argument("--max-tokens", type=int, default=64, help="Tokens to generate per run (default 64).")
    parser.add_argument("--threads", type=int, default=None, help="Threads (default: STORYENGINE_N_THREADS).")
    parser.add_argument("--rounds", type=int, default=5, help="Alternating rounds of the three runs (default 5).")
    options = parser.parse_args(argv)
    n_threads = options.threads or read_runtime_settings().n_threads
    summary = _compare(options.prompt, options.max_tokens, n_threads, options.rounds)
    sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
