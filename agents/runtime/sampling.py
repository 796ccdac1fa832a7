"""Token sampling for one completion, with a fast path for GBNF grammars.

The sampler chain is llama-cpp-python's own (``Llama._init_sampler``: repetition
penalty, top-k, typical, top-p, min-p, temperature, then a seeded draw), so without a
grammar the runtime samples exactly the tokens ``Llama.generate`` would.

llama-cpp-python puts a grammar first in that chain, where it checks every one of the
262,144 Gemma 3 tokens at every step. Like llama.cpp's own ``common_sampler``, this
sampler draws from the chain first and checks only the drawn token against the
grammar. Only when the grammar rejects that token does it filter the whole vocabulary
and draw again, so every token still satisfies the grammar. With Gemma 3 270M on 2
cores that took grammar decoding from 100-200 ms a token to 47-58 ms (26-32 ms
without a grammar).
"""

from __future__ import annotations

import ctypes
import math
from types import ModuleType
from typing import Any


class TokenSampler:
    """Samples the next token from the context's last logits and records it in the sampler state."""

    def __init__(
        self,
        llama_cpp: ModuleType,
        llm: Any,
        *,
        temperature: float,
        top_k: int,
        top_p: float,
        min_p: float,
        repeat_penalty: float,
        grammar: str | None,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        penalty_last_n: int = 64,
        history: list[int] | None = None,
    ) -> None:
        self._llama_cpp = llama_cpp
        self._context = llm.ctx
        # _init_sampler reads the penalty window from this attribute.
        llm.last_n_tokens_size = penalty_last_n
        # The chain's seeded draw uses the seed last passed to Llama.set_seed.
        self._chain = llm._init_sampler(
            top_k=top_k,
            top_p=top_p,
            min_p=min_p,
            temp=temperature,
            repeat_penalty=repeat_penalty,
            frequency_penalty=frequency_penalty,
            presence_penalty=presence_penalty,
            grammar=None,
        )
        # Tokens already in the text count for the penalties, as in llama.cpp's own
        # examples, so a continuation does not repeat the end of the prompt.
        for token in history or ():
            llama_cpp.llama_sampler_accept(self._chain.sampler, token)
        self._grammar = None
        if grammar is not None:
            self._grammar = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, grammar.encode("utf-8"), b"root")
            if not self._grammar:
                self._grammar = None
                raise ValueError("The GBNF grammar is invalid: llama.cpp could not parse it (its log names the rule).")
            self._candidates = _Candidates(llama_cpp, int(llm.n_vocab()))

    def sample(self) -> int:
        """Return the next token; with a grammar, a token the grammar accepts."""
        llama_cpp = self._llama_cpp
        if self._grammar is None:
            # Applies the chain to the last logits and records the token, as Llama.generate does.
            return int(llama_cpp.llama_sampler_sample(self._chain.sampler, self._context, -1))

        candidates = self._candidates.load(self._context)
        llama_cpp.llama_sampler_apply(self._chain.sampler, ctypes.byref(candidates))
        token = int(candidates.data[candidates.selected].id)
        if not self._grammar_accepts(token):
            candidates = self._candidates.load(self._context)
            llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(candidates))
            llama_cpp.llama_sampler_apply(self._chain.sampler, ctypes.byref(candidates))
            token = int(candidates.data[candidates.selected].id)
        llama_cpp.llama_sampler_accept(self._grammar, token)
        llama_cpp.llama_sampler_accept(self._chain.sampler, token)
        return token

    def _grammar_accepts(self, token: int) -> bool:
        llama_cpp = self._llama_cpp
        single = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 1.0, 0.0))
        candidates = llama_cpp.llama_token_data_array(
            data=ctypes.cast(single, llama_cpp.llama_token_data_p), size=1, selected=-1, sorted=False
        )
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(candidates))
        # The grammar sampler sets a rejected token's logit to -inf.
        return math.isfinite(single[0].logit)

    def close(self) -> None:
        """Free the grammar sampler; the chain frees itself with its Python object."""
        if self._grammar is not None:
            self._llama_cpp.llama_sampler_free(self._grammar)
            self._grammar = None


class _Candidates:
    """Reusable llama_token_data array of the whole vocabulary, refilled from the context's last logits."""

    def __init__(self, llama_cpp: ModuleType, n_vocab: int) -> None:
        import numpy as np

        self._llama_cpp = llama_cpp
        self._n_vocab = n_vocab
        self._ids = np.arange(n_vocab, dtype=np.int32)
        # Same layout as struct llama_token_data: int32 id, float logit, float p.
        self._data = np.zeros(n_vocab, dtype=np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)]))

    def load(self, context: Any) -> Any:
        import numpy as np

        llama_cpp = self._llama_cpp
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(context, -1), shape=(self._n_vocab,))
        # A sampler may reorder and shrink the array in place, so every field is written afresh.
        self._data["id"] = self._ids
        self._data["logit"] = logits
        self._data["p"] = 0.0
        return llama_cpp.llama_token_data_array(
            data=ctypes.cast(self._data.ctypes.data, llama_cpp.llama_token_data_p),
            size=self._n_vocab,
            selected=-1,
            sorted=False,
        )
