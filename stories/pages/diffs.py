"""A word-level comparison of two texts for the versions page."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import regex

# Words and the whitespace between them are separate tokens, so the joined
# tokens give back the text exactly and a change of spacing shows as a change.
_TOKEN = regex.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffPart:
    """A run of text that both versions share (``equal``), or that only one has (``removed``, ``added``)."""

    kind: str
    text: str


@dataclass(frozen=True)
class WordDiff:
    parts: list[DiffPart]
    words_added: int
    words_removed: int


def _count_words(tokens: list[str]) -> int:
    return sum(1 for token in tokens if not token.isspace())


def word_diff(before: str, after: str) -> WordDiff:
    """Compare ``before`` with ``after`` word by word with difflib's SequenceMatcher.

    A replaced run becomes a removed part followed by an added part. Joining the
    equal and removed parts gives ``before``; joining the equal and added parts
    gives ``after``. ``autojunk`` is off, because its popularity rule would treat
    the spaces of a long story as junk and misalign the words.
    """
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    parts: list[DiffPart] = []
    added = removed = 0
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            parts.append(DiffPart("equal", "".join(old[old_start:old_end])))
            continue
        if old_end > old_start:
            parts.append(DiffPart("removed", "".join(old[old_start:old_end])))
            removed += _count_words(old[old_start:old_end])
        if new_end > new_start:
            parts.append(DiffPart("added", "".join(new[new_start:new_end])))
            added += _count_words(new[new_start:new_end])
    return WordDiff(parts=parts, words_added=added, words_removed=removed)
