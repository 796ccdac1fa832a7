"""Runtime settings read from Django settings, with defaults for scripts run without Django."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_N_CTX = 4096

# llama.cpp's LLAMA_DEFAULT_SEED: a sampler created with it draws a random seed.
RANDOM_SEED = 0xFFFFFFFF


@dataclass(frozen=True)
class RuntimeSettings:
    """Model file and llama.cpp context parameters of the runtime."""

    model_path: str | None
    model_dir: Path
    n_threads: int
    n_gpu_layers: int
    n_ctx: int
    seed: int


def _setting(name: str, default: object) -> object:
    # Scripts such as the raw-decoding benchmark may run without configured settings.
    if not settings.configured:
        return default
    return getattr(settings, name, default)


def _int_setting(name: str, default: int, minimum: int) -> int:
    value = _setting(name, default)
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is invalid: expected a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is invalid: the minimum is {minimum}.")
    return number


def default_thread_count() -> int:
    """Return the number of CPUs this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # sched_getaffinity exists on Linux only
        return max(1, os.cpu_count() or 1)


def read_runtime_settings() -> RuntimeSettings:
    """Read the STORYENGINE_* model settings, raising ImproperlyConfigured on a bad value."""
    base_dir = Path(str(_setting("BASE_DIR", Path.cwd())))
    model_path = _setting("STORYENGINE_MODEL_PATH", None)
    model_dir = _setting("STORYENGINE_MODEL_DIR", None) or base_dir / ".cache" / "models"
    return RuntimeSettings(
        model_path=str(model_path) if model_path else None,
        model_dir=Path(str(model_dir)).expanduser(),
        n_threads=_int_setting("STORYENGINE_N_THREADS", default_thread_count(), minimum=1),
        # -1 offloads every layer to the GPU.
        n_gpu_layers=_int_setting("STORYENGINE_N_GPU_LAYERS", 0, minimum=-1),
        n_ctx=_int_setting("STORYENGINE_N_CTX", DEFAULT_N_CTX, minimum=16),
        seed=_seed_setting(),
    )


def _seed_setting() -> int:
    """Read STORYENGINE_MODEL_SEED, where -1 (as in llama.cpp's tools) requests a random seed."""
    seed = _int_setting("STORYENGINE_MODEL_SEED", RANDOM_SEED, minimum=-1)
    return RANDOM_SEED if seed == -1 else seed
