"""Benchmark one 150-word story against raw llama-cpp-python decoding.

Writes one story through the same service code as the API (embedded executor,
the configured database) and reads the writer step's AgentRun: its decode
throughput is completion tokens over the seconds spent decoding (after each
call's first token, as the raw figure does). Then it loads a fresh llama-cpp-python model with the same
file and thread count, decodes from a prompt as long as the writer's mean prompt,
and prints both rates and their ratio (goal: at least 0.9), plus the seconds
spent reading prompts for the story (the sum over every model call).

Run: ``.venv/bin/python bench/generation.py [--length 150] [--runs 1]``
after ``make migrate`` and ``make prepare-model``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyengine.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402

from agents.models import AgentRun  # noqa: E402
from agents.runtime import get_runtime  # noqa: E402
from agents.runtime.rawbench import raw_decode_benchmark  # noqa: E402
from stories import services  # noqa: E402
from stories.models import StoryStatus  # noqa: E402

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
BENCH_EMAIL = "bench@storyengine.local"


def write_story(length: int, seed: int) -> dict:
    user = get_user_model().objects.filter(email=BENCH_EMAIL).first()
    if user is None:
        user = get_user_model().objects.create_user(email=BENCH_EMAIL, username="bench", password=None)
    params = services.GenerationParams(
        prompt=PROMPT,
        story_type="short_story",
        cultural_context="rural",
        target_length=length,
        emotion_focus=["karuna"],
        advanced_options={"seed": seed},
    )
    story = services.wait_for_story(services.start_generation(user, params).pk, timeout=3600)
    if story.status != StoryStatus.COMPLETED:
        raise SystemExit(f"Story {story.pk} ended {story.status}: {story.error}")
    runs = {run.agent_id: run for run in AgentRun.objects.filter(story=story)}
    writer = runs["writer"]
    details = writer.details
    return {
        "story": story,
        "writer": writer,
        # Each call's first token comes with its prompt, so like the raw figure the
        # rate counts the tokens after each call's first one.
        "decode_rate": (writer.completion_tokens - details["model_calls"]) / details["decode_seconds"],
        "mean_prompt_tokens": writer.prompt_tokens / max(1, details["model_calls"]),
        "prompt_seconds": sum(run.details.get("prompt_seconds", 0.0) for run in runs.values()),
        "planner_seconds": runs["planner"].seconds,
    }


def prompt_of_tokens(text: str, tokens: int) -> str:
    """Cut ``text`` (repeated as needed) to about ``tokens`` tokens of the model's tokenizer."""
    runtime = get_runtime()
    while runtime.count_tokens(text) < tokens:
        text = text + "\n\n" + text
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if runtime.count_tokens(text[:middle]) <= tokens:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def raw_decoding(prompt: str, tokens: int, threads: int) -> dict:
    """Decode with plain llama-cpp-python until at least ``tokens`` tokens came out.

    A base model may end a completion early, so runs with new seeds are added up:
    the rate is the tokens after each run's first over the seconds after it.
    """
    decoded, seconds, runs, seed = 0, 0.0, [], 1234
    while decoded < tokens and len(runs) < 20:
        run = raw_decode_benchmark(prompt, max_tokens=tokens - decoded, n_threads=threads, seed=seed)
        runs.append(run)
        decoded += run["tokens"]
        seconds += run["seconds"]
        seed += 1
    after_first = decoded - len(runs)
    return {
        "tokens": decoded,
        "runs": len(runs),
        "prompt_tokens": runs[0]["prompt_tokens"],
        "tokens_per_second": after_first / seconds if seconds else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=150, help="Target words of the story.")
    parser.add_argument("--seed", type=int, default=7, help="Sampling seed of the story.")
    arguments = parser.parse_args()

    threads = settings.STORYENGINE_N_THREADS
    result = write_story(arguments.length, arguments.seed)
    story, writer = result["story"], result["writer"]
    raw_prompt = prompt_of_tokens(story.content, round(result["mean_prompt_tokens"]))
    raw = raw_decoding(raw_prompt, writer.completion_tokens, threads)

    ratio = result["decode_rate"] / raw["tokens_per_second"]
    print(f"model: {Path(get_runtime().info()['path']).name}, threads: {threads}")
    print(f"story {story.pk}: {story.word_count} words of {arguments.length}, {story.generation_time:.1f} s in all")
    print(
        f"writer: {writer.completion_tokens} tokens in {writer.details['model_calls']} calls, "
        f"decode {result['decode_rate']:.1f} tokens/s, mean prompt {result['mean_prompt_tokens']:.0f} tokens, "
        f"{writer.details['cached_prompt_tokens']} prompt tokens reused from the cache"
    )
    print(
        f"raw llama-cpp-python: {raw['tokens']} tokens in {raw['runs']} runs, "
        f"decode {raw['tokens_per_second']:.1f} tokens/s from a {raw['prompt_tokens']}-token prompt"
    )
    print(f"decode throughput ratio (writer / raw): {ratio:.3f} (goal >= 0.9)")
    print(f"seconds reading prompts for the story: {result['prompt_seconds']:.2f} (planner step {result['planner_seconds']:.2f} s)")


if __name__ == "__main__":
    main()
