"""A loaded llama.cpp model with token counting and streaming completion.

llama-cpp-python and numpy (its dependency) are imported inside functions, so a
host without them still starts Django. The first use then raises ModelUnavailable
with the reason.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from agents.runtime.config import RANDOM_SEED, RuntimeSettings
from agents.runtime.errors import ModelBusy, ModelUnavailable, PromptTooLong
from agents.runtime.sampling import TokenSampler
from agents.runtime.script_filter import SCRIPT_RANGES, foreign_token_mask
from agents.runtime.textstream import TextStream

logger = logging.getLogger(__name__)

FinishReason = Literal["stop", "length", "cancelled"]

# Seeds handed to llama.cpp are unsigned 32-bit; LLAMA_DEFAULT_SEED (2**32 - 1) means "random".
MAX_SEED = RANDOM_SEED - 1


@dataclass
class CompletionRequest:
    """One text completion: the prompt, sampling settings, stop strings and optional GBNF grammar.

    ``seed`` makes sampling reproducible; None draws the next seed from the runtime's
    generator, which STORYENGINE_MODEL_SEED seeds. ``temperature`` 0 samples greedily.
    ``parse_special`` turns control-token text in the prompt (``<start_of_turn>``) into
    control tokens, as chat-style prompts for instruction-tuned models need. Leave it off
    when the prompt contains user text.
    The repetition, frequency and presence penalties look at the last
    ``penalty_last_n`` tokens, the end of the prompt included, so a completion that
    continues a text is kept from repeating it. ``script`` (such as "Telugu") bans
    every token holding a letter of another script or a markup symbol.
    """

    prompt: str
    max_tokens: int = 256
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    repeat_penalty: float = 1.1
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    grammar: str | None = None
    min_p: float = 0.05
    parse_special: bool = False
    measure_logprob: bool = True
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    penalty_last_n: int = 64
    script: str | None = None


@dataclass
class Completion:
    """The result of one completion, with its token counts and timings.

    ``finish_reason`` is "stop" (end-of-generation token or stop string), "length"
    (max_tokens reached) or "cancelled" (``should_stop`` returned true).
    ``mean_logprob`` is the mean over the completion tokens of ln softmax(logits)[token],
    taken from the model's raw logits (temperature 1, before penalties, top-k/top-p and
    grammar), or None when no token was sampled or the request turned measuring off.
    ``prompt_seconds`` runs from the start of prompt evaluation to the first sampled
    token, so it is the time to first token. ``decode_seconds`` runs from there to the
    last token. ``seconds`` is the whole call, including ``wait_seconds`` spent waiting
    for the context lock. ``cached_prompt_tokens`` counts prompt tokens reused from the
    context's previous call (a shared prefix) instead of evaluated again.
    ``prompt_tokens`` counts the prompt as evaluated. It equals ``count_tokens(prompt)``
    except where the context's own tokens spell a longer start of the prompt's text than
    the prompt's tokenization shares with them (see ``ModelRuntime._align_to_context``);
    then those tokens are kept, and the count can differ by a few.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason
    mean_logprob: float | None
    prompt_seconds: float
    decode_seconds: float
    seconds: float
    stop_sequence: str | None = None
    seed: int = 0
    cached_prompt_tokens: int = 0
    wait_seconds: float = 0.0


@dataclass
class _Decoded:
    finish_reason: FinishReason
    completion_tokens: int
    first_token_at: float | None
    cached: int


def import_llama_cpp() -> ModuleType:
    """Import llama-cpp-python, raising ModelUnavailable with the reason when it cannot be imported."""
    try:
        import llama_cpp
    except (ImportError, OSError) as exc:
        # OSError: the package is there but its shared library failed to load.
        raise ModelUnavailable(
            f"llama-cpp-python cannot be imported ({type(exc).__name__}: {exc}). "
            f"Install it with pip install -r requirements.txt."
        ) from exc
    return llama_cpp


# 32,768 float32 values (128 KiB) stay in a core's L2 cache between the exp and the sum.
LOGPROB_CHUNK = 32768


class _LogprobMeter:
    """Sum of ln softmax(logits)[token] over sampled tokens, read from the context's last logits row.

    The row is read in place through llama_get_logits_ith (no copy), and
    ln p = x[t] - max(x) - ln sum(exp(x - max(x))), with the sum taken chunk by chunk in
    float32 (numpy sums pairwise, so its relative error stays near 1e-7). On Gemma 3
    270M with 2 threads it adds about 1 ms to a 26 ms token (measured 3 to 4 %).
    """

    def __init__(self, llama_cpp: ModuleType, context: Any, n_vocab: int) -> None:
        import numpy as np

        self._np = np
        self._llama_cpp = llama_cpp
        self._context = context
        self._n_vocab = n_vocab
        self._buffer = np.empty(min(n_vocab, LOGPROB_CHUNK), dtype=np.float32)
        self.total = 0.0
        self.count = 0
        self._log_normalizer = 0.0
        self._logit_of: Any = None

    def observe(self) -> None:
        """Read the log-normalizer of the current logits row, before any token is banned in it."""
        np = self._np
        pointer = self._llama_cpp.llama_get_logits_ith(self._context, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        peak = float(logits.max())
        exp_sum = 0.0
        for start in range(0, self._n_vocab, LOGPROB_CHUNK):
            chunk = logits[start : start + LOGPROB_CHUNK]
            shifted = self._buffer[: len(chunk)]
            np.subtract(chunk, peak, out=shifted)
            np.exp(shifted, out=shifted)
            exp_sum += float(shifted.sum())
        self._log_normalizer = peak + math.log(exp_sum)
        self._logit_of = logits

    def add(self, token: int) -> None:
        """Add the sampled token's log-probability; a banned token is never sampled, so its logit is untouched."""
        self.total += float(self._logit_of[token]) - self._log_normalizer
        self.count += 1

    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


class ModelRuntime:
    """A loaded llama.cpp model and its one context, used by one call at a time.

    Build it with get_runtime(), which keeps one per process and model file.
    """

    def __init__(self, path: Path, llm: Any, runtime_settings: RuntimeSettings, load_seconds: float) -> None:
        self.path = path
        self.settings = runtime_settings
        self.load_seconds = load_seconds
        self.loaded_at = datetime.now(timezone.utc)
        self.completions = 0
        self._llm = llm
        self._llama_cpp = import_llama_cpp()
        self._vocab = llm._model.vocab
        self._n_vocab = int(llm.n_vocab())
        self._script_masks: dict[str, Any] = {}
        # A llama.cpp context is not thread-safe: every call that evaluates or samples holds this lock.
        self._lock = threading.Lock()
        self._pieces: dict[int, bytes] = {}
        self._piece_buffer = ctypes.create_string_buffer(64)
        self._valid_grammars: set[str] = set()
        self._seeds = random.SystemRandom() if runtime_settings.seed == RANDOM_SEED else random.Random(runtime_settings.seed)

    @property
    def n_ctx(self) -> int:
        """Context window in tokens: prompt plus completion must fit in it."""
        return int(self._llm.n_ctx())

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    @property
    def llm(self) -> Any:
        """The underlying llama_cpp.Llama; hold no reference to it across calls to complete()."""
        return self._llm

    def count_tokens(self, text: str, *, parse_special: bool = False) -> int:
        """Return how many tokens ``text`` takes as a prompt, the beginning-of-sequence token included.

        Tokenizing reads only the model's vocabulary, so it does not wait for the context lock.
        """
        return len(self._tokenize(text, parse_special))

    def _tokenize(self, text: str, parse_special: bool) -> list[int]:
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=parse_special))

    def complete(
        self,
        request: CompletionRequest,
        on_text: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        *,
        lock_timeout: float | None = None,
    ) -> Completion:
        """Generate a completion, streaming text deltas to ``on_text`` as they become safe to send.

        Deltas contain whole characters only and no U+FFFD, and joined they equal
        ``Completion.text``. ``should_stop`` is checked before the prompt is evaluated
        and between tokens. Waits up to ``lock_timeout`` seconds (None: without limit)
        for the context, then raises ModelBusy. Raises PromptTooLong when the prompt
        tokens plus max_tokens exceed n_ctx, and ValueError for an invalid request or
        grammar.
        """
        started = time.perf_counter()
        _validate_request(request)
        # Tokenizing and parsing the grammar read only the model, so a request that
        # cannot run fails here without waiting for the context.
        prompt_tokens = self._tokenize(request.prompt, request.parse_special)
        if not prompt_tokens:
            raise ValueError("The prompt is empty and this model adds no beginning-of-sequence token: write a prompt.")
        if len(prompt_tokens) + request.max_tokens > self.n_ctx:
            raise PromptTooLong(len(prompt_tokens), request.max_tokens, self.n_ctx)
        if request.grammar is not None:
            self._check_grammar(request.grammar)

        waiting_since = time.perf_counter()
        acquired = self._lock.acquire(timeout=-1 if lock_timeout is None else max(0.0, lock_timeout))
        if not acquired:
            raise ModelBusy(
                f"Timed out after {lock_timeout} s waiting for the model {self.path.name}, which is running another "
                f"completion. Retry when it ends."
            )
        try:
            wait_seconds = time.perf_counter() - waiting_since
            return self._complete_locked(request, prompt_tokens, on_text, should_stop, started, wait_seconds)
        finally:
            self._lock.release()

    def _complete_locked(
        self,
        request: CompletionRequest,
        prompt_tokens: list[int],
        on_text: Callable[[str], None] | None,
        should_stop: Callable[[], bool] | None,
        started: float,
        wait_seconds: float,
    ) -> Completion:
        seed = request.seed if request.seed is not None else self._seeds.randint(0, MAX_SEED)
        self.completions += 1

        stream = TextStream(request.stop)
        meter = _LogprobMeter(self._llama_cpp, self._llm.ctx, self._n_vocab) if request.measure_logprob else None
        parts: list[str] = []

        def emit(text: str) -> None:
            if text:
                parts.append(text)
                if on_text is not None:
                    on_text(text)

        prompt_started = time.perf_counter()
        prompt_tokens = self._align_to_context(request, prompt_tokens)
        if should_stop is not None and should_stop():
            decoded = _Decoded(finish_reason="cancelled", completion_tokens=0, first_token_at=None, cached=0)
        else:
            decoded = self._decode(request, prompt_tokens, seed, stream, meter, emit, should_stop)
            emit(stream.finish())

        finished = time.perf_counter()
        first = decoded.first_token_at if decoded.first_token_at is not None else finished
        completion = Completion(
            text="".join(parts),
            prompt_tokens=len(prompt_tokens),
            completion_tokens=decoded.completion_tokens,
            finish_reason=decoded.finish_reason,
            mean_logprob=meter.mean() if meter is not None else None,
            prompt_seconds=first - prompt_started,
            decode_seconds=finished - first,
            seconds=finished - started,
            stop_sequence=stream.stop_sequence,
            seed=seed,
            cached_prompt_tokens=decoded.cached,
            wait_seconds=wait_seconds,
        )
        logger.debug(
            "Completed %d prompt tokens (%d cached) and %d completion tokens in %.3f s (%s)",
            completion.prompt_tokens,
            decoded.cached,
            decoded.completion_tokens,
            completion.seconds,
            decoded.finish_reason,
        )
        return completion

    def _decode(
        self,
        request: CompletionRequest,
        prompt_tokens: list[int],
        seed: int,
        stream: TextStream,
        meter: _LogprobMeter | None,
        emit: Callable[[str], None],
        should_stop: Callable[[], bool] | None,
    ) -> _Decoded:
        """Evaluate the prompt and sample until end-of-generation, a stop string, max_tokens or cancellation."""
        llm = self._llm
        remaining, cached = self._reuse_prefix(prompt_tokens)
        llm.set_seed(seed)
        sampler = TokenSampler(
            self._llama_cpp,
            llm,
            temperature=request.temperature,
            top_k=request.top_k,
            top_p=request.top_p,
            min_p=request.min_p,
            repeat_penalty=request.repeat_penalty,
            frequency_penalty=request.frequency_penalty,
            presence_penalty=request.presence_penalty,
            penalty_last_n=request.penalty_last_n,
            history=prompt_tokens[-request.penalty_last_n :] if request.penalty_last_n else [],
            grammar=request.grammar,
        )
        banned = self._foreign_tokens(request.script) if request.script else None
        finish_reason: FinishReason = "length"
        completion_tokens = 0
        first_token_at: float | None = None
        try:
            llm.eval(remaining)
            while True:
                if meter is not None:
                    meter.observe()
                if banned is not None:
                    self._ban(banned)
                token = sampler.sample()
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                if self._llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    finish_reason = "stop"
                    break

                completion_tokens += 1
                if meter is not None:
                    meter.add(token)
                step = stream.push(self._piece(token))
                emit(step.text)

                if step.stop_sequence is not None:
                    finish_reason = "stop"
                    break
                if completion_tokens >= request.max_tokens:
                    break
                if should_stop is not None and should_stop():
                    finish_reason = "cancelled"
                    break
                # The sampled token is evaluated only when another one is wanted, as in Llama.generate.
                llm.eval([token])
        finally:
            sampler.close()
        return _Decoded(finish_reason, completion_tokens, first_token_at, cached)

    def _foreign_tokens(self, script: str) -> Any:
        """Return (and keep) the mask of tokens outside ``script``; about a second to build once per process."""
        mask = self._script_masks.get(script)
        if mask is None:
            pieces = [self._piece(token) for token in range(self._n_vocab)]
            mask = foreign_token_mask(pieces, script)
            for token in range(self._n_vocab):
                # End-of-generation tokens stay allowed, so the model can still finish.
                if self._llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    mask[token] = False
            self._script_masks[script] = mask
            logger.info("Built the %s token mask of %s: %d of %d tokens banned", script, self.path.name, mask.sum(), len(mask))
        return mask

    def _ban(self, mask: Any) -> None:
        """Set the banned tokens' logits to -inf in the context's last logits row, in place."""
        import numpy as np

        pointer = self._llama_cpp.llama_get_logits_ith(self._llm.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        np.copyto(logits, -np.inf, where=mask)

    def clear_prompt_cache(self) -> None:
        """Forget the evaluated tokens, so the next completion evaluates its whole prompt."""
        with self._lock:
            self._llm.reset()

    def _align_to_context(self, request: CompletionRequest, prompt_tokens: list[int]) -> list[int]:
        """Return the prompt as tokens that keep the context's own tokens for the start of its text, when that reuses more.

        A model may sample a word in pieces that the tokenizer joins (" రై" + "తు" where
        tokenizing gives " రైతు"). A prompt that repeats the text just generated then
        differs from the context's tokens from that word on, and everything after it
        would be evaluated again. Here the context's tokens are kept for the longest
        start of the prompt's text that they spell, ending on a whole character, and only
        the rest of the text is tokenized. The result is used only when it reuses more
        tokens, fits the context and spells exactly the prompt's bytes. A prompt with
        control-token text (``parse_special``) is left as tokenized.
        """
        import numpy as np

        llm = self._llm
        evaluated = llm.input_ids[: llm.n_tokens]
        if request.parse_special or len(evaluated) < 2 or int(evaluated[0]) != prompt_tokens[0]:
            return prompt_tokens
        length = min(len(evaluated), len(prompt_tokens))
        differs = np.flatnonzero(evaluated[:length] != np.asarray(prompt_tokens[:length], dtype=evaluated.dtype))
        shared = int(differs[0]) if differs.size else length
        if shared >= len(evaluated):
            # Every evaluated token is reused already (the usual next-sentence call).
            return prompt_tokens

        text = request.prompt.encode("utf-8")
        spelled = sum(len(self._piece(token)) for token in prompt_tokens[1:shared])
        kept, kept_spelled = shared, spelled
        for index in range(shared, len(evaluated)):
            piece = self._piece(int(evaluated[index]))
            # An empty piece is a control token, whose text the prompt cannot contain.
            if not piece or text[spelled : spelled + len(piece)] != piece:
                break
            spelled += len(piece)
            # A byte 0b10xxxxxx continues a UTF-8 character, so no cut may fall before it.
            if spelled == len(text) or not 0x80 <= text[spelled] < 0xC0:
                kept, kept_spelled = index + 1, spelled
        if kept <= shared:
            return prompt_tokens

        rest = list(llm.tokenize(text[kept_spelled:], add_bos=False, special=False)) if kept_spelled < len(text) else []
        aligned = [int(token) for token in evaluated[:kept]] + rest
        reuse_before = min(shared, len(prompt_tokens) - 1)
        reuse_after = min(kept, len(aligned) - 1)
        if reuse_after <= reuse_before or len(aligned) + request.max_tokens > self.n_ctx:
            return prompt_tokens
        # A tokenizer that adds a space before the first word would break the spelling, so check it whole.
        if b"".join(self._piece(token) for token in aligned[1:]) != text:
            return prompt_tokens
        logger.debug("Kept %d context tokens for the prompt's start (its tokenization shared %d)", kept, shared)
        return aligned

    def _reuse_prefix(self, prompt_tokens: list[int]) -> tuple[list[int], int]:
        """Reuse the evaluated tokens that start the prompt, and return the tokens left to evaluate and the count reused.

        At least the last prompt token is evaluated again, because sampling needs its
        logits. ``Llama.generate`` in llama-cpp-python 0.3.36 matches prefixes the same
        way by itself. Doing it here makes the count reused known rather than assumed.
        """
        # NOTE: this and the decoding loop use Llama attributes that are not public API
        # (input_ids, n_tokens, _ctx, eval, _init_sampler), checked against 0.3.36 only.
        import numpy as np

        llm = self._llm
        evaluated = llm.input_ids[: llm.n_tokens]
        length = min(len(evaluated), len(prompt_tokens) - 1)
        reused = 0
        if length > 0:
            differs = np.flatnonzero(evaluated[:length] != np.asarray(prompt_tokens[:length], dtype=evaluated.dtype))
            reused = int(differs[0]) if differs.size else length
        # kv_cache_seq_rm returns False where the memory cannot drop a tail (recurrent models).
        if reused > 0 and llm._ctx.kv_cache_seq_rm(-1, reused, -1):
            llm.n_tokens = reused
            return prompt_tokens[reused:], reused
        llm.reset()
        return prompt_tokens, 0

    def _piece(self, token: int) -> bytes:
        """Return the bytes of one token, without the control tokens' text."""
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._token_to_piece(token)
            self._pieces[token] = piece
        return piece

    def _token_to_piece(self, token: int) -> bytes:
        size = len(self._piece_buffer)
        length = self._llama_cpp.llama_token_to_piece(self._vocab, token, self._piece_buffer, size, 0, False)
        if length < 0:
            # A negative length is the buffer size the piece needs.
            self._piece_buffer = ctypes.create_string_buffer(-length)
            length = self._llama_cpp.llama_token_to_piece(self._vocab, token, self._piece_buffer, -length, 0, False)
        return self._piece_buffer.raw[:length]

    def _check_grammar(self, text: str) -> None:
        """Raise ValueError when llama.cpp cannot parse the GBNF ``text``; remember the texts that parse."""
        if text in self._valid_grammars:
            return
        # LlamaGrammar.from_string would only store the text, and a grammar that fails to
        # parse when the sampler is built gives a NULL sampler that crashes the process.
        probe = self._llama_cpp.llama_sampler_init_grammar(self._vocab, text.encode("utf-8"), b"root")
        if not probe:
            raise ValueError("The GBNF grammar is invalid: llama.cpp could not parse it (its log names the rule).")
        self._llama_cpp.llama_sampler_free(probe)
        self._valid_grammars.add(text)

    def info(self) -> dict[str, Any]:
        """Describe the loaded model for health and monitoring pages."""
        try:
            file_size = self.path.stat().st_size
        except OSError:
            file_size = None
        return {
            "path": str(self.path),
            "file_size": file_size,
            "n_ctx": self.n_ctx,
            "n_threads": self.settings.n_threads,
            "n_gpu_layers": self.settings.n_gpu_layers,
            "n_vocab": self._n_vocab,
            "loaded_at": self.loaded_at.isoformat(),
            "load_seconds": round(self.load_seconds, 3),
            "completions": self.completions,
            "busy": self.busy,
            "pid": os.getpid(),
            "llama_cpp_version": getattr(self._llama_cpp, "__version__", "unknown"),
        }


def _validate_request(request: CompletionRequest) -> None:
    if request.max_tokens < 1:
        raise ValueError(f"max_tokens={request.max_tokens} is invalid: request at least 1 token.")
    if request.temperature < 0:
        raise ValueError(f"temperature={request.temperature} is invalid: use 0 (greedy) or more.")
    if not 0 < request.top_p <= 1:
        raise ValueError(f"top_p={request.top_p} is invalid: use a value in (0, 1].")
    if request.top_k < 0:
        raise ValueError(f"top_k={request.top_k} is invalid: use 0 (no limit) or more.")
    if request.repeat_penalty <= 0:
        raise ValueError(f"repeat_penalty={request.repeat_penalty} is invalid: use a value above 0 (1 is none).")
    if request.seed is not None and not 0 <= request.seed <= MAX_SEED:
        raise ValueError(f"seed={request.seed} is invalid: use a whole number from 0 to {MAX_SEED}.")
    if request.penalty_last_n < 0:
        raise ValueError(f"penalty_last_n={request.penalty_last_n} is invalid: use 0 (no penalty window) or more.")
    if request.script is not None and request.script not in SCRIPT_RANGES:
        raise ValueError(f"script={request.script!r} is invalid: use one of {', '.join(sorted(SCRIPT_RANGES))}.")
