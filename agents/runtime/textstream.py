"""Turning a stream of token bytes into text deltas that are safe to send as they come.

A Telugu letter is three bytes in UTF-8 and a token may end inside one, so bytes are
decoded incrementally and an incomplete character waits for the next token. Text that
could be the start of a stop string waits too, so a stop string is never sent.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

REPLACEMENT_CHARACTER = "\ufffd"


@dataclass(frozen=True)
class StreamStep:
    """Text that is safe to send after one token, and the stop string the token completed, if any."""

    text: str
    stop_sequence: str | None = None


class TextStream:
    """Incremental UTF-8 decoder with stop strings.

    ``push`` takes the bytes of one token and returns the text that can be sent now.
    ``finish`` returns what was held back when generation ended for another reason.
    The concatenation of every returned text is the completion's text: complete
    characters only, no U+FFFD, and nothing from the first stop string on.
    """

    def __init__(self, stop: list[str]) -> None:
        # errors="ignore" drops invalid byte sequences (a model can emit byte tokens that
        # do not form UTF-8) instead of inserting U+FFFD; incomplete trailing bytes stay
        # buffered until the next push or are dropped by finish().
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        self._stops = [text for text in dict.fromkeys(stop) if text]
        self._pending = ""
        self.stop_sequence: str | None = None

    @property
    def stopped(self) -> bool:
        return self.stop_sequence is not None

    def push(self, data: bytes) -> StreamStep:
        """Add one token's bytes and return the text now safe to send."""
        if self.stopped:
            return StreamStep("")
        text = self._decoder.decode(data, final=False)
        return self._release(text)

    def finish(self) -> str:
        """End the stream: drop incomplete trailing bytes and return the text still held back."""
        if self.stopped:
            return ""
        text = self._decoder.decode(b"", final=True)
        step = self._release(text)
        if step.stop_sequence is not None:
            return step.text
        remainder = self._pending
        self._pending = ""
        return step.text + remainder

    def _release(self, text: str) -> StreamStep:
        # A model can also emit U+FFFD itself as a character; it carries no text.
        text = text.replace(REPLACEMENT_CHARACTER, "")
        if not self._stops:
            return StreamStep(text)

        pending = self._pending + text
        found_at, found = _first_stop(pending, self._stops)
        if found is not None:
            self._pending = ""
            self.stop_sequence = found
            return StreamStep(pending[:found_at], found)

        held_back = _held_back_length(pending, self._stops)
        self._pending = pending[len(pending) - held_back :]
        return StreamStep(pending[: len(pending) - held_back])


def _first_stop(text: str, stops: list[str]) -> tuple[int, str | None]:
    """Return the position and value of the stop string that starts first in ``text``.

    Where two start at one position, the longer wins when both are already in ``text``.
    A stop string that is a prefix of another can end generation before the longer one
    arrives.
    """
    best_at = -1
    best: str | None = None
    for stop in stops:
        at = text.find(stop)
        if at < 0:
            continue
        if best is None or at < best_at or (at == best_at and len(stop) > len(best)):
            best_at, best = at, stop
    return best_at, best


def _held_back_length(text: str, stops: list[str]) -> int:
    """Return the length of the longest end of ``text`` that is a proper prefix of some stop string."""
    longest = 0
    for stop in stops:
        for length in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:length]):
                longest = length
                break
    return longest
