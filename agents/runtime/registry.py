"""The process-wide set of loaded models: one ModelRuntime per process and model file."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from agents.runtime.config import RuntimeSettings, read_runtime_settings
from agents.runtime.errors import ModelUnavailable
from agents.runtime.llm import ModelRuntime, import_llama_cpp
from agents.runtime.model_files import check_model_file, default_model_status, resolve_model_path

logger = logging.getLogger(__name__)

_runtimes: dict[str, ModelRuntime] = {}
_registry_lock = threading.Lock()
_registry_pid = os.getpid()
_load_count = 0


def get_runtime(model_path: str | Path | None = None) -> ModelRuntime:
    """Return this process's runtime for ``model_path`` (default: the configured model), loading it on first use.

    Raises ModelUnavailable when llama-cpp-python cannot be imported or the model file
    is missing, unreadable or rejected by llama.cpp.
    """
    if model_path is None:
        path = resolve_model_path()
    else:
        path = check_model_file(Path(model_path).expanduser(), "model path")
    key = str(path.resolve())

    _forget_parent_runtimes()
    runtime = _runtimes.get(key)
    if runtime is not None:
        return runtime
    with _registry_lock:
        runtime = _runtimes.get(key)
        if runtime is None:
            runtime = load_runtime(path, read_runtime_settings())
            _runtimes[key] = runtime
    return runtime


def _forget_parent_runtimes() -> None:
    """Drop runtimes inherited through fork: a llama.cpp context must not be shared with the parent process."""
    global _registry_pid
    if _registry_pid == os.getpid():
        return
    with _registry_lock:
        if _registry_pid != os.getpid():
            logger.info("Process %d was forked from %d; its models load again on first use", os.getpid(), _registry_pid)
            _runtimes.clear()
            _registry_pid = os.getpid()


def load_runtime(path: Path, runtime_settings: RuntimeSettings) -> ModelRuntime:
    """Load ``path`` into a new runtime that get_runtime() does not keep (benchmarks use it).

    Raises ModelUnavailable when llama-cpp-python is missing or llama.cpp rejects the file.
    """
    global _load_count
    llama_cpp = import_llama_cpp()
    started = time.perf_counter()
    try:
        llm = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=runtime_settings.n_ctx,
            n_threads=runtime_settings.n_threads,
            n_threads_batch=runtime_settings.n_threads,
            n_gpu_layers=runtime_settings.n_gpu_layers,
            seed=runtime_settings.seed,
            # Logits for every prompt position would cost n_vocab floats per token (262,144 for Gemma 3).
            logits_all=False,
            verbose=False,
        )
    except ValueError as exc:
        raise ModelUnavailable(f"llama.cpp failed to load the model file {path}: {exc}") from exc
    load_seconds = time.perf_counter() - started
    _load_count += 1
    logger.info(
        "Loaded model %s in %.2f s (n_ctx=%d, n_threads=%d, n_gpu_layers=%d)",
        path,
        load_seconds,
        runtime_settings.n_ctx,
        runtime_settings.n_threads,
        runtime_settings.n_gpu_layers,
    )
    return ModelRuntime(path, llm, runtime_settings, load_seconds)


def loaded_runtimes() -> list[ModelRuntime]:
    """Return the runtimes this process has loaded, in load order."""
    _forget_parent_runtimes()
    return list(_runtimes.values())


def model_load_count() -> int:
    """Return how many times this process has loaded a model file (each runtime loads once)."""
    return _load_count


def check_model_available() -> tuple[bool, str]:
    """Report whether a model can be loaded, without loading or assembling it.

    Returns (True, description) or (False, reason). It checks that llama-cpp-python
    imports and that the model file exists and reads as GGUF. For a default model not
    assembled yet, the package's chunks and a writable STORYENGINE_MODEL_DIR suffice.
    """
    try:
        llama_cpp = import_llama_cpp()
        runtime_settings = read_runtime_settings()
        if runtime_settings.model_path:
            path = check_model_file(Path(runtime_settings.model_path).expanduser(), "STORYENGINE_MODEL_PATH")
            state = f"model file {path} ({path.stat().st_size} bytes)"
        else:
            status = default_model_status(runtime_settings.model_dir)
            if status.assembled:
                check_model_file(status.path, "STORYENGINE_MODEL_DIR")
                state = f"default model {status.path} ({status.expected_size} bytes)"
            elif not _writable_folder(runtime_settings.model_dir):
                return False, (
                    f"The default model is not assembled and {runtime_settings.model_dir} (STORYENGINE_MODEL_DIR) "
                    f"is not writable. Make it writable or run manage.py prepare_model as a user who can write it."
                )
            else:
                state = f"default model to be assembled into {status.path} on first use"
    except (ModelUnavailable, ImproperlyConfigured, OSError) as exc:
        return False, str(exc)
    loaded = len(loaded_runtimes())
    version = getattr(llama_cpp, "__version__", "unknown")
    return True, f"{state}; llama-cpp-python {version}; {loaded} loaded in this process"


def _writable_folder(folder: Path) -> bool:
    """Return whether ``folder``, or the nearest existing folder above it, is writable."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK)
    return False
