"""Telugu-aware text primitives: normalization, grapheme clusters, words and cuts.

Grapheme clusters are the Unicode extended grapheme clusters of the `regex`
package's ``\\X``, which follows Unicode 15.1 or later. Since 15.1 a consonant,
virama and consonant stay in one cluster (``క్ష`` is one cluster), so every cut
made on a cluster boundary keeps Telugu conjuncts whole. Python's ``re`` ``\\w``
is not used for words because Telugu vowel signs and the virama are combining
marks, which ``\\w`` does not treat as part of a word.
"""

from __future__ import annotations

import unicodedata

import regex

ZWNJ = "\u200c"
ZWJ = "\u200d"
JOINERS = ZWNJ + ZWJ

_GRAPHEME = regex.compile(r"\X")

# A word is a run of letters, combining marks and digits. A joiner (ZWNJ or ZWJ)
# belongs to the word only between two such characters, as in రామ్‌కుమార్.
_WORD = regex.compile(r"[\p{L}\p{M}\p{Nd}]+(?:[\u200c\u200d]+[\p{L}\p{M}\p{Nd}]+)*")

_TELUGU_LETTER = regex.compile(r"(?=\p{L})\p{Block=Telugu}")
_LETTER = regex.compile(r"\p{L}")

# Punctuation that may stay attached to the end of a cut: it closes the
# sentence or quotation that the last kept word belongs to.
_CLOSING_PUNCTUATION = frozenset(".!?,;:।॥\"'”’)]}»…")

_BLANK_LINE = regex.compile(r"\n[ \t\r\f\v]*\n\s*")
_SENTENCE_END = regex.compile(r"(?<=[.!?।॥][\"'”’)\]]*)\s+|\n+")


def normalize(text: str) -> str:
    """Return ``text`` in Unicode NFC, so that equivalent spellings compare equal.

    For example U+0C46 U+0C56 (vowel sign E + AI length mark) becomes U+0C48.
    """
    return unicodedata.normalize("NFC", text)


def graphemes(text: str) -> list[str]:
    """Split ``text`` into Unicode extended grapheme clusters."""
    return _GRAPHEME.findall(text)


def words(text: str) -> list[str]:
    """Return the words of ``text`` in order.

    A word is a maximal run of letters, combining marks and decimal digits of any
    script; ZWNJ and ZWJ count as part of a word when they sit between two such
    characters. Punctuation, symbols and whitespace separate words and are never
    words themselves.
    """
    return _WORD.findall(text)


def word_count(text: str) -> int:
    """Count the words of ``text`` as defined by :func:`words`."""
    return sum(1 for _ in _WORD.finditer(text))


def word_spans(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` code-point offsets of each word of ``text``."""
    return [match.span() for match in _WORD.finditer(text)]


def cut_text(text: str, max_chars: int, ellipsis: str = "") -> str:
    """Shorten ``text`` to at most ``max_chars`` code points, ellipsis included.

    Text that already fits is returned unchanged, without the ellipsis. Otherwise
    the cut falls after the last whole word that fits, keeping closing
    punctuation right after it when no ellipsis is added. When not even one word
    fits, the cut falls on the last grapheme-cluster boundary that fits, so a
    conjunct such as ``క్ష`` is kept whole or dropped whole and a virama is never
    separated from the consonant that follows it. A trailing ZWNJ/ZWJ and
    trailing whitespace are dropped, and trailing punctuation is dropped before
    the ellipsis is appended. The ellipsis is appended only to a non-empty cut;
    when ``max_chars`` leaves no room beside it, the result is the empty string.

    Raises ValueError when ``max_chars`` is negative.
    """
    if max_chars < 0:
        raise ValueError(f"max_chars must be 0 or more, got {max_chars}")
    if len(text) <= max_chars:
        return text

    budget = max_chars - len(ellipsis)
    if budget <= 0:
        return ""

    cut = _cut_at_word(text, budget, keep_punctuation=not ellipsis)
    if cut is None:
        cut = _cut_at_cluster(text, budget)
    if ellipsis:
        cut = _strip_trailing_punctuation(cut)
    if not cut:
        return ""
    return cut + ellipsis


def cut_to_words(text: str, max_words: int, ellipsis: str = "") -> str:
    """Keep the first ``max_words`` words of ``text`` with the text between them.

    Text with at most ``max_words`` words is returned unchanged. Otherwise the cut
    falls right after the last kept word. Closing punctuation right after that
    word stays when no ellipsis is added and is dropped before an ellipsis.

    Raises ValueError when ``max_words`` is negative.
    """
    if max_words < 0:
        raise ValueError(f"max_words must be 0 or more, got {max_words}")
    spans = word_spans(text)
    if len(spans) <= max_words:
        return text
    if max_words == 0:
        return ""

    end = spans[max_words - 1][1]
    if ellipsis:
        return _strip_trailing_punctuation(text[:end]) + ellipsis
    return text[: _extend_over_closing_punctuation(text, end, len(text))]


def telugu_letter_share(text: str) -> float:
    """Return the share of letters in ``text`` that are Telugu letters.

    Counted per letter code point: share = (code points of general category L in
    the Telugu block U+0C00-U+0C7F) / (code points of general category L in any
    script). Vowel signs and the virama are marks, not letters, so ``క్ష`` counts
    as two letters. Digits, punctuation and spaces are ignored. Returns 0.0 when
    the text has no letters.
    """
    letters = len(_LETTER.findall(text))
    if letters == 0:
        return 0.0
    return len(_TELUGU_LETTER.findall(text)) / letters


def distinct_n(text: str, n: int = 2) -> float:
    """Return distinct word n-grams divided by all word n-grams of ``text``.

    1.0 means no n-gram repeats. A text with fewer than ``n`` words has no n-gram
    that could repeat and scores 1.0. Raises ValueError when ``n`` is below 1.
    """
    if n < 1:
        raise ValueError(f"n must be 1 or more, got {n}")
    tokens = words(text)
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    if not grams:
        return 1.0
    return len(set(grams)) / len(grams)


def paragraphs(text: str) -> list[str]:
    """Split ``text`` into paragraphs, each stripped, with empty ones dropped.

    Paragraphs are separated by blank lines. Text without any blank line but with
    several lines is split per line, since model output often separates
    paragraphs with a single newline.
    """
    text = text.replace("\r\n", "\n")
    parts = _BLANK_LINE.split(text)
    if len(parts) == 1:
        parts = text.split("\n")
    return [part.strip() for part in parts if part.strip()]


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, each stripped, with empty ones dropped.

    A sentence ends at ``.``, ``!``, ``?``, ``।`` or ``॥`` (with any closing quote
    or bracket) followed by whitespace, or at a line break.
    """
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _cut_at_word(text: str, budget: int, keep_punctuation: bool) -> str | None:
    """Cut after the last word that ends within ``budget``, or return None."""
    end = 0
    for _start, word_end in word_spans(text):
        if word_end > budget:
            break
        end = word_end
    if end == 0:
        return None
    if keep_punctuation:
        end = _extend_over_closing_punctuation(text, end, budget)
    return text[:end]


def _cut_at_cluster(text: str, budget: int) -> str:
    """Cut on the last grapheme-cluster boundary within ``budget``."""
    end = 0
    for cluster in graphemes(text):
        if end + len(cluster) > budget:
            break
        end += len(cluster)
    # A joiner is an extending character, so it ends the cluster before it and
    # would be left dangling at the end of the cut.
    return text[:end].rstrip(JOINERS).rstrip()


def _extend_over_closing_punctuation(text: str, end: int, limit: int) -> int:
    """Move ``end`` past closing punctuation that directly follows it, up to ``limit``."""
    while end < limit and text[end] in _CLOSING_PUNCTUATION:
        end += 1
    return end


def _strip_trailing_punctuation(text: str) -> str:
    """Drop trailing whitespace, joiners and punctuation other than closing quotes."""
    stripped = text.rstrip()
    while stripped and not _WORD.match(stripped[-1]) and stripped[-1] not in "\"'”’)]}»":
        stripped = stripped[:-1].rstrip()
    return stripped.rstrip(JOINERS)
