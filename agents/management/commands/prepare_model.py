"""Assemble or check the model file, load it and run a short Telugu completion."""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.runtime import CompletionRequest, ModelUnavailable, get_runtime, resolve_model_path
from agents.runtime.config import read_runtime_settings
from agents.runtime.model_files import default_model_sha256, file_sha256

SAMPLE_TEXT = "ఒకప్పుడు ఒక చిన్న గ్రామంలో రాము అనే రైతు ఉండేవాడు. అతను"


class Command(BaseCommand):
    help = (
        "Assemble the default model into STORYENGINE_MODEL_DIR (or check STORYENGINE_MODEL_PATH), "
        "load it, count the tokens of a Telugu sample and generate a few tokens. "
        "Exits with status 1 and the reason when any step fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-tokens", type=int, default=8, help="Tokens to generate in the check (default 8)."
        )
        parser.add_argument(
            "--skip-checksum",
            action="store_true",
            help="Skip the SHA-256 check of the default model file (about 1 s for 250 MB).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        max_tokens = options["max_tokens"]
        if max_tokens < 1:
            raise CommandError(f"--max-tokens={max_tokens} is invalid: use 1 or more.")

        try:
            runtime_settings = read_runtime_settings()
            path = resolve_model_path()
            size = path.stat().st_size
            self.stdout.write(f"model file: {path}")
            self.stdout.write(f"size: {size} bytes ({size / 2**20:.1f} MiB)")
            if runtime_settings.model_path is None and not options["skip_checksum"]:
                self._check_checksum(path)

            runtime = get_runtime()
            self.stdout.write(
                f"load time: {runtime.load_seconds:.2f} s "
                f"(n_ctx={runtime.n_ctx}, n_threads={runtime_settings.n_threads}, "
                f"n_gpu_layers={runtime_settings.n_gpu_layers})"
            )
            sample_tokens = runtime.count_tokens(SAMPLE_TEXT)
            self.stdout.write(f"sample: {len(SAMPLE_TEXT)} characters, {sample_tokens} tokens")

            started = time.perf_counter()
            completion = runtime.complete(
                CompletionRequest(prompt=SAMPLE_TEXT, max_tokens=max_tokens, temperature=0.0, seed=1)
            )
            elapsed = time.perf_counter() - started
        except (ModelUnavailable, ImproperlyConfigured, OSError, ValueError) as exc:
            raise CommandError(f"The model is not ready: {exc}") from exc

        if completion.completion_tokens == 0 and completion.finish_reason != "stop":
            raise CommandError("The model is not ready: it generated no tokens for the sample prompt.")
        self.stdout.write(f"completion: {completion.text!r}")
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {completion.completion_tokens} tokens in {elapsed:.2f} s "
                f"(first token after {completion.prompt_seconds:.2f} s, "
                f"mean log-probability {_format_logprob(completion.mean_logprob)})"
            )
        )

    def _check_checksum(self, path: Any) -> None:
        expected = default_model_sha256()
        actual = file_sha256(path)
        if actual != expected:
            raise CommandError(
                f"The model file {path} has SHA-256 {actual}, expected {expected}. "
                f"Delete it and run prepare_model again to assemble it afresh."
            )
        self.stdout.write(f"sha256: {actual} (matches the package)")


def _format_logprob(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
