"""Releasing a sentence word by word while the model writes it.

The writer streams prose as the model samples it instead of waiting for a whole
sentence. A word is released only once the whitespace after it shows that it is
whole, so a word cut by the token budget is never sent. Streamed text is never
taken back, so a repeat is caught while it grows. A word whose pair with the word
before it already occurs in the story is held back. Once ``REPEAT_RUN`` such pairs
follow each other, the call is stopped and the held words are dropped, and the
writer draws the rest of the sentence with another seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import regex

from agents.pipeline.prose import MIN_SENTENCE_WORDS, SENTENCE_ENDS
from analysis.text import normalize, words

# This many word pairs in a row that the story already contains stop the call:
# the model has started copying a phrase of three words or more.
REPEAT_RUN = 2

# A chunk is the whitespace before a word and the word with its punctuation. Whitespace
# ends a chunk, so only the last chunk of the text can still be growing.
_CHUNK = regex.compile(r"\s*\S+")
# Punctuation that would stand before the sentence's final mark ("వచ్చాడు,.") is
# held back until a word follows it.
_SOFT_END = regex.compile(r"[,;:\s]+$")


def _pairs(text: str) -> set[tuple[str, str]]:
    return set(pairwise(words(text)))


@dataclass(frozen=True)
class DraftEnd:
    """The state one model call left the sentence in.

    ``closed`` is true when the sentence got its final punctuation. ``problem`` names
    why nothing of this call was kept ("empty", "too short" or "repeat"), or is None.
    """

    closed: bool
    problem: str | None = None


class SentenceDraft:
    """One model call's share of a sentence, released to ``emit`` as its words settle.

    ``story`` is the text before the sentence and ``opening`` the part of the sentence
    that earlier calls released. Every released piece is NFC-normalized on its own.
    Pieces are cut just before whitespace or a comma, semicolon or colon, none of which
    composes with the letter before it, so the joined pieces equal the normalized sentence.
    """

    def __init__(self, story: str, opening: str, emit: Callable[[str], None]) -> None:
        self._seen = _pairs(story) | _pairs(opening)
        self._emit = emit
        opening_words = words(opening)
        self._last_word = opening_words[-1] if opening_words else None
        self._opening_words = len(opening_words)
        self._buffer = ""
        self._held_chunks: list[str] = []
        self._held_pairs: list[tuple[str, str]] = []
        self._soft_end = ""
        self.released = ""
        self.stopped = False

    @property
    def released_words(self) -> int:
        """Number of the sentence's words released so far, the opening's included."""
        return self._opening_words + len(words(self.released))

    def push(self, delta: str) -> None:
        """Add a delta of the model's text and release every chunk it settles.

        A chunk settles once the next chunk has begun, which with a tokenizer that
        puts the space at the start of a word's token is the token after it.
        """
        if self.stopped:
            return
        self._buffer += delta
        chunks = _CHUNK.findall(self._buffer)
        if len(chunks) < 2:
            return
        settled = chunks[:-1]
        self._buffer = self._buffer[sum(len(chunk) for chunk in settled) :]
        for chunk in settled:
            self._take(chunk)
            if self.stopped:
                return

    def finish(self, stop_sequence: str | None, finish_reason: str) -> DraftEnd:
        """Release what the call's end settles and return how it left the sentence.

        A call that ended at punctuation, a line break or the model's end-of-generation
        token settles its last word. A call cut by the token budget drops that word,
        because it may be unfinished. Either way the sentence is closed with the
        punctuation that stopped it, or a full stop. A sentence of fewer than
        ``MIN_SENTENCE_WORDS`` words with nothing released yet is rejected instead.
        """
        if not self.stopped:
            cut_by_budget = finish_reason == "length" and stop_sequence is None
            last = "" if cut_by_budget else self._buffer.rstrip()
            self._buffer = ""
            pending_words = len(words("".join(self._held_chunks) + last))
            if self.released_words == 0 and pending_words < MIN_SENTENCE_WORDS:
                return DraftEnd(closed=False, problem="too short" if pending_words else "empty")
            if last.strip():
                # The last word goes out below, with the sentence's final mark.
                self._take(last, release=False)
        if self.stopped:
            return DraftEnd(closed=False, problem=None if self.released else "repeat")

        ending = _SOFT_END.sub("", self._soft_end + "".join(self._held_chunks))
        self._soft_end = ""
        if ending[-1:] not in SENTENCE_ENDS:
            ending += stop_sequence if stop_sequence in SENTENCE_ENDS else "."
        self._release(ending)
        return DraftEnd(closed=True)

    def _take(self, chunk: str, *, release: bool = True) -> None:
        """Judge one settled chunk: release it, hold it as a possible repeat, or stop the call.

        With ``release`` false a chunk that may go out stays held for the caller to release.
        """
        pairs: list[tuple[str, str]] = []
        for word in words(chunk):
            if self._last_word is not None:
                pairs.append((self._last_word, word))
            self._last_word = word
        self._held_chunks.append(chunk)
        self._held_pairs.extend(pairs)

        if not pairs or not all(pair in self._seen for pair in pairs):
            # A new pair (or a chunk without one) shows the held words were a common
            # phrase, not the start of a copy.
            if release:
                self._release("".join(self._held_chunks))
        elif len(self._held_pairs) >= REPEAT_RUN:
            self._held_chunks = []
            self._held_pairs = []
            self.stopped = True

    def _release(self, text: str) -> None:
        self._seen.update(self._held_pairs)
        self._held_chunks = []
        self._held_pairs = []
        text = self._soft_end + text
        soft_end = _SOFT_END.search(text)
        cut = soft_end.start() if soft_end else len(text)
        text, self._soft_end = text[:cut], text[cut:]
        if text:
            text = normalize(text)
            self.released += text
            self._emit(text)
