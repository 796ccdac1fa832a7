"""Matching of lexicon forms (stems, whole words and phrases) against the words of a text.

Telugu is agglutinative: case endings, plurals and verb endings attach to the
stem (కోపం, కోపంతో, కోపించాడు). A form therefore matches in one of two ways.

- A *stem* of at least two grapheme clusters matches every word that starts with
  it, code point by code point, unless the word goes on with a virama or nukta
  right after the stem. That continuation would fuse the stem's last consonant
  into a different conjunct: the stem దయ (mercy) must not match దయ్యం (ghost),
  and the stem బాధ (pain) must not match బాధ్యత (duty). Because the comparison is
  by code point, a stem that ends in a bare consonant such as కోప also matches
  కోపి and కోపం, where a vowel sign or anusvara joins that consonant's cluster.
- A *whole word*, and every stem shorter than two clusters, matches the word
  itself or the word followed by one common case or plural ending from
  ``TELUGU_SUFFIXES`` (for Latin-script forms, an English plural ``s``).

A form may be a phrase of several words: every word but the last must be equal,
and the last follows the rules above. Words are compared after removing ZWNJ and
ZWJ and case-folding, and both sides are expected in NFC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.text import JOINERS, graphemes

VIRAMA = "\u0c4d"
NUKTA = "\u0c3c"

# Endings that glue onto a Telugu noun without changing its stem: dative,
# accusative, instrumental/sociative, locative, plural, adverbial, "also".
TELUGU_SUFFIXES = frozenset(
    {
        "కు", "కి", "ను", "ని", "తో", "లో", "గా", "పై", "కూ", "నూ", "దే",
        "లు", "ల", "లకు", "లను", "లతో", "లలో", "లని", "లూ",
    }
)
LATIN_SUFFIXES = frozenset({"s", "es"})

_STRIP_JOINERS = str.maketrans("", "", JOINERS)


@dataclass(frozen=True)
class LexiconForm:
    """One surface form of a lexicon entry, identified by the entry's key."""

    text: str
    key: str
    whole_word: bool = False


@dataclass(frozen=True)
class FormMatch:
    """A form found in a word sequence, covering ``length`` words from ``start``."""

    start: int
    length: int
    form: LexiconForm


def match_key(word: str) -> str:
    """Return the comparison key of ``word``: joiners removed, case-folded."""
    return word.translate(_STRIP_JOINERS).casefold()


def matches_as_whole_word(token: str, whole_word: bool) -> bool:
    """Tell whether ``token`` follows the whole-word rule rather than the stem rule."""
    return whole_word or len(graphemes(token)) < 2


def word_matches(word: str, token: str, whole_word: bool) -> bool:
    """Tell whether the comparison key ``word`` matches the form token ``token``.

    ``whole_word`` selects the whole-word rule, and the caller sets it for stems
    shorter than two clusters too (see :func:`matches_as_whole_word`). The module
    docstring states both rules.
    """
    if not word.startswith(token):
        return False
    rest = word[len(token) :]
    if not rest:
        return True
    if whole_word:
        suffixes = LATIN_SUFFIXES if token.isascii() else TELUGU_SUFFIXES
        return rest in suffixes
    return rest[0] not in (VIRAMA, NUKTA)


class FormMatcher:
    """An index of lexicon forms that finds them in a sequence of words."""

    def __init__(self, forms: Iterable[LexiconForm]) -> None:
        self._by_initial: dict[str, list[tuple[tuple[str, ...], bool, LexiconForm]]] = {}
        for form in forms:
            tokens = tuple(match_key(token) for token in form.text.split())
            if not tokens or not tokens[0]:
                raise ValueError(f"lexicon form for {form.key!r} is empty")
            whole_word = matches_as_whole_word(tokens[-1], form.whole_word)
            self._by_initial.setdefault(tokens[0][0], []).append((tokens, whole_word, form))

    def matches_at(self, keys: Sequence[str], index: int) -> list[FormMatch]:
        """Return every form that matches the word keys starting at ``index``.

        ``keys`` are words already passed through :func:`match_key`.
        """
        word = keys[index]
        found: list[FormMatch] = []
        for tokens, whole_word, form in self._by_initial.get(word[:1], ()):
            end = index + len(tokens)
            if end > len(keys):
                continue
            if tuple(keys[index : end - 1]) != tokens[:-1]:
                continue
            if word_matches(keys[end - 1], tokens[-1], whole_word):
                found.append(FormMatch(start=index, length=len(tokens), form=form))
        return found

    def find_all(self, words: Sequence[str]) -> list[FormMatch]:
        """Return every match of every form at every word position, in text order."""
        keys = [match_key(word) for word in words]
        found: list[FormMatch] = []
        for index in range(len(keys)):
            found.extend(self.matches_at(keys, index))
        return found

    def find_longest(self, words: Sequence[str]) -> list[tuple[FormMatch, ...]]:
        """Find forms left to right without overlap, keeping the longest at each position.

        At each word position the forms with the most code points win, and all forms
        tied at that length are returned together. The scan then resumes after the
        words they cover. Positions where nothing matches are skipped.
        """
        keys = [match_key(word) for word in words]
        found: list[tuple[FormMatch, ...]] = []
        index = 0
        while index < len(keys):
            matches = self.matches_at(keys, index)
            if not matches:
                index += 1
                continue
            longest = max(len(match.form.text) for match in matches)
            winners = tuple(match for match in matches if len(match.form.text) == longest)
            found.append(winners)
            index += max(match.length for match in winners)
        return found
