"""Rasa (emotion) analysis of Telugu text with a lexicon of stems and words.

Each word of the text is looked up in the rasa lexicon (``data/rasa_lexicon.json``)
with the matching rules of :mod:`analysis.lexicon`. Stems of two or more grapheme
clusters match any word that starts with them. Shorter forms and the lexicon's
``words`` match whole words only. Where several forms match, the longest wins, so
భయపడలేదు ("was not afraid", courage) beats the stem భయ (fear). A word whose longest
forms belong to k rasas adds 1/k to each of them, and a word whose longest form
is a ``neutral`` entry (దయచేసి, "please") adds nothing.

NOTE: the lexicon does not see negation carried by a separate word or by a suffix
it has no entry for, so "కోపం లేదు" (no anger) still counts as anger.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.lexicon import FormMatcher, LexiconForm
from analysis.text import normalize, paragraphs, sentences, words
from storyengine.vocabulary import Rasa

logger = logging.getLogger(__name__)

LEXICON_PATH = Path(__file__).resolve().parent / "data" / "rasa_lexicon.json"
RASAS: tuple[str, ...] = tuple(Rasa.values)
NEUTRAL = "neutral"


@dataclass(frozen=True)
class RasaLexicon:
    """The loaded lexicon: a matcher over every form and the steering words per rasa."""

    matcher: FormMatcher
    steering: dict[str, tuple[str, ...]]
    form_count: int


@dataclass(frozen=True)
class SegmentHits:
    """Lexicon hits in one stretch of text."""

    hits: dict[str, float]
    terms: dict[str, list[str]]
    matched_terms: int
    word_count: int


@dataclass(frozen=True)
class ParagraphEmotion:
    """The rasa profile of one paragraph.

    ``scores`` and ``dominant`` follow the same formulas as :class:`EmotionReport`,
    applied to the paragraph alone. ``intensity`` = min(1, matched words / words).
    """

    index: int
    scores: dict[str, float]
    dominant: str | None
    intensity: float
    matched_terms: int
    word_count: int


@dataclass(frozen=True)
class ArcPoint:
    """One point of the emotional arc.

    ``position`` is the segment's middle word as a share of the text's words, in
    0..1. ``emotion`` is the segment's dominant rasa, or None when no lexicon term
    occurs in it. ``intensity`` = min(1, matched words / words of the segment).
    """

    position: float
    segment: int
    emotion: str | None
    intensity: float


@dataclass(frozen=True)
class EmotionReport:
    """The rasa analysis of a text.

    - ``hits[r]``: lexicon words of rasa r in the text, each word weighted 1/k when
      its longest matching forms belong to k rasas.
    - ``scores[r]`` = hits[r] / sum of all hits, so the scores sum to 1, or are all
      0.0 when no lexicon word occurs.
    - ``dominant``: the rasa with the highest score; ties go to the rasa listed
      first in :class:`~storyengine.vocabulary.Rasa`; None when nothing matched.
    - ``confidence[r]`` = hits[r] / (hits[r] + 1): 0 without evidence, 0.5 for one
      matched word, 0.75 for three, approaching 1 as evidence accumulates.
    - ``terms[r]``: the distinct matched words of rasa r, in order of appearance.
    - ``paragraphs``: one profile per paragraph (see :func:`analysis.text.paragraphs`).
    - ``arc``: one point per paragraph, or per sentence when the text is a single
      paragraph.
    """

    scores: dict[str, float]
    dominant: str | None
    confidence: dict[str, float]
    hits: dict[str, float]
    terms: dict[str, list[str]]
    paragraphs: list[ParagraphEmotion]
    arc: list[ArcPoint]
    matched_terms: int
    word_count: int


@lru_cache(maxsize=1)
def load_lexicon() -> RasaLexicon:
    """Load and index the rasa lexicon once per process.

    Raises ValueError when the file names a rasa outside :class:`Rasa` or lacks one.
    """
    data = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    entries = data["rasas"]
    if set(entries) != set(RASAS):
        raise ValueError(f"{LEXICON_PATH} must list exactly the rasas {sorted(RASAS)}, got {sorted(entries)}")

    forms = [LexiconForm(normalize(text), NEUTRAL) for text in data.get("neutral", [])]
    steering: dict[str, tuple[str, ...]] = {}
    for rasa in RASAS:
        entry = entries[rasa]
        forms += [LexiconForm(normalize(text), rasa) for text in entry["stems"]]
        forms += [LexiconForm(normalize(text), rasa, whole_word=True) for text in entry["words"]]
        steering[rasa] = tuple(normalize(text) for text in entry["steering"])

    logger.info("Loaded rasa lexicon with %d forms from %s", len(forms), LEXICON_PATH)
    return RasaLexicon(matcher=FormMatcher(forms), steering=steering, form_count=len(forms))


def analyze_emotions(text: str) -> EmotionReport:
    """Measure the rasas of ``text`` by counting lexicon words.

    The text is NFC-normalized first. :class:`EmotionReport` states every formula.
    """
    text = normalize(text)
    whole = count_hits(text)
    paragraph_texts = paragraphs(text)
    paragraph_profiles = [_paragraph_emotion(index, part) for index, part in enumerate(paragraph_texts)]
    segments = paragraph_texts if len(paragraph_texts) > 1 else sentences(text)

    return EmotionReport(
        scores=rasa_scores(whole.hits),
        dominant=dominant_rasa(whole.hits),
        confidence={rasa: whole.hits[rasa] / (whole.hits[rasa] + 1) for rasa in RASAS},
        hits=whole.hits,
        terms=whole.terms,
        paragraphs=paragraph_profiles,
        arc=_arc(segments),
        matched_terms=whole.matched_terms,
        word_count=whole.word_count,
    )


def count_hits(text: str) -> SegmentHits:
    """Count the lexicon words of each rasa in ``text`` (expected in NFC)."""
    tokens = words(text)
    hits = dict.fromkeys(RASAS, 0.0)
    terms: dict[str, list[str]] = {rasa: [] for rasa in RASAS}
    matched = 0

    for winners in load_lexicon().matcher.find_longest(tokens):
        rasas = sorted({match.form.key for match in winners}, key=_rasa_order)
        if NEUTRAL in rasas:
            continue
        matched += 1
        start = winners[0].start
        term = " ".join(tokens[start : start + max(match.length for match in winners)])
        for rasa in rasas:
            hits[rasa] += 1 / len(rasas)
            if term not in terms[rasa]:
                terms[rasa].append(term)

    return SegmentHits(hits=hits, terms=terms, matched_terms=matched, word_count=len(tokens))


def rasa_scores(hits: dict[str, float]) -> dict[str, float]:
    """Turn hit counts into shares: score[r] = hits[r] / sum(hits), all 0.0 without hits."""
    total = sum(hits.values())
    if total == 0:
        return dict.fromkeys(RASAS, 0.0)
    return {rasa: hits[rasa] / total for rasa in RASAS}


def dominant_rasa(hits: dict[str, float]) -> str | None:
    """Return the rasa with the most hits, the first in :class:`Rasa` order on a tie, or None."""
    best = max(RASAS, key=lambda rasa: hits[rasa])
    return best if hits[best] > 0 else None


def steering_terms(rasa: str, count: int = 3, seed: int | None = None) -> list[str]:
    """Return ``count`` Telugu words that evoke ``rasa``, for steering a writer.

    Without a seed the lexicon's first ``count`` steering words come back in their
    listed order; with a seed, a reproducible random sample of them. ``count`` is
    capped at the number of steering words (ten per rasa).

    Raises ValueError for an unknown rasa or a negative count.
    """
    if rasa not in RASAS:
        raise ValueError(f"unknown rasa {rasa!r}; expected one of {', '.join(RASAS)}")
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    pool = load_lexicon().steering[rasa]
    count = min(count, len(pool))
    if seed is None:
        return list(pool[:count])
    return random.Random(seed).sample(pool, count)


def _paragraph_emotion(index: int, text: str) -> ParagraphEmotion:
    found = count_hits(text)
    return ParagraphEmotion(
        index=index,
        scores=rasa_scores(found.hits),
        dominant=dominant_rasa(found.hits),
        intensity=_intensity(found),
        matched_terms=found.matched_terms,
        word_count=found.word_count,
    )


def _arc(segments: list[str]) -> list[ArcPoint]:
    counted = [count_hits(segment) for segment in segments]
    total_words = sum(found.word_count for found in counted)
    if total_words == 0:
        return []

    points: list[ArcPoint] = []
    words_before = 0
    for index, found in enumerate(counted):
        middle = words_before + found.word_count / 2
        points.append(
            ArcPoint(
                position=round(middle / total_words, 4),
                segment=index,
                emotion=dominant_rasa(found.hits),
                intensity=_intensity(found),
            )
        )
        words_before += found.word_count
    return points


def _intensity(found: SegmentHits) -> float:
    if found.word_count == 0:
        return 0.0
    return min(1.0, found.matched_terms / found.word_count)


def _rasa_order(key: str) -> int:
    return RASAS.index(key) if key in RASAS else len(RASAS)
