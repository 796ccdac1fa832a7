"""The measured quality score of a story and its parts."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from analysis.text import distinct_n, telugu_letter_share, word_count

WEIGHTS: dict[str, float] = {
    "telugu_script": 0.25,
    "distinct_2": 0.20,
    "length_fit": 0.20,
    "fluency": 0.20,
    "emotion_match": 0.15,
}


def length_fit(words: int, target: int) -> float:
    """Return ``max(0, 1 - |words - target| / target)``: 1 on target, 0 at double or nothing."""
    return max(0.0, 1.0 - abs(words - target) / target)


def fluency(mean_logprob: float | None) -> float | None:
    """Return ``exp(mean log-probability)``: the geometric mean of the probabilities
    the model gave the tokens it wrote, in 0..1; None when nothing was sampled."""
    if mean_logprob is None:
        return None
    return math.exp(mean_logprob)


def emotion_match(scores: Mapping[str, float], focus: Iterable[str]) -> float | None:
    """Return the requested rasas' share of all rasa scores: ``sum(focus) / sum(all)``.

    0 when the text carries no rasa at all; None when no focus was requested.
    """
    focus = list(focus)
    if not focus:
        return None
    total = sum(scores.values())
    if total <= 0:
        return 0.0
    return sum(scores.get(name, 0.0) for name in focus) / total


def quality_components(
    content: str,
    target: int,
    mean_logprob: float | None,
    scores: Mapping[str, float],
    focus: Iterable[str],
) -> dict[str, float]:
    """Measure each part of the quality score; a part that cannot be measured is left out.

    - telugu_script: Telugu letters over all letters.
    - distinct_2: distinct word bigrams over all bigrams (repetition lowers it).
    - length_fit: see ``length_fit``.
    - fluency: see ``fluency``.
    - emotion_match: see ``emotion_match``.
    """
    components = {
        "telugu_script": telugu_letter_share(content),
        "distinct_2": distinct_n(content, 2),
        "length_fit": length_fit(word_count(content), target),
        "fluency": fluency(mean_logprob),
        "emotion_match": emotion_match(scores, focus),
    }
    return {name: round(value, 4) for name, value in components.items() if value is not None}


def quality_score(components: Mapping[str, float]) -> float:
    """Return the weighted mean of the measured parts, with WEIGHTS renormalized
    over the parts present: ``sum(w_i * c_i) / sum(w_i)``, in 0..1."""
    weights = {name: WEIGHTS[name] for name in components}
    total = sum(weights.values())
    if total == 0:
        return 0.0
    return round(sum(weights[name] * components[name] for name in components) / total, 4)
