"""The quality score's parts and their weighted mean."""

from __future__ import annotations

import math

import pytest

from agents.pipeline import quality

TELUGU = "రాము పొలానికి వెళ్ళాడు. సీత ఇంట్లో వంట చేసింది."


def test_length_fit_is_one_on_target():
    assert quality.length_fit(150, 150) == 1.0


def test_length_fit_falls_linearly_with_distance():
    assert quality.length_fit(120, 150) == pytest.approx(0.8)
    assert quality.length_fit(180, 150) == pytest.approx(0.8)


def test_length_fit_is_zero_at_double_the_target():
    assert quality.length_fit(300, 150) == 0.0
    assert quality.length_fit(0, 150) == 0.0


def test_fluency_is_geometric_mean_probability():
    assert quality.fluency(math.log(0.25)) == pytest.approx(0.25)
    assert quality.fluency(None) is None


def test_emotion_match_is_share_of_requested_rasas():
    scores = {"karuna": 0.6, "hasya": 0.2, "shanta": 0.2}

    assert quality.emotion_match(scores, ["karuna"]) == pytest.approx(0.6)
    assert quality.emotion_match(scores, ["karuna", "hasya"]) == pytest.approx(0.8)
    assert quality.emotion_match(scores, []) is None
    assert quality.emotion_match({"karuna": 0.0}, ["karuna"]) == 0.0


def test_components_leave_out_unmeasured_parts():
    components = quality.quality_components(TELUGU, target=7, mean_logprob=None, scores={}, focus=[])

    assert set(components) == {"telugu_script", "distinct_2", "length_fit"}
    assert components["telugu_script"] == 1.0
    assert components["length_fit"] == 1.0


def test_components_measure_latin_text_as_not_telugu():
    components = quality.quality_components("Ramu went to the field", 5, None, {}, [])

    assert components["telugu_script"] == 0.0


def test_score_is_weighted_mean_over_present_parts():
    components = {"telugu_script": 1.0, "distinct_2": 0.5, "length_fit": 0.0}
    weights = quality.WEIGHTS

    expected = (weights["telugu_script"] * 1.0 + weights["distinct_2"] * 0.5) / (
        weights["telugu_script"] + weights["distinct_2"] + weights["length_fit"]
    )

    assert quality.quality_score(components) == pytest.approx(expected, abs=1e-4)


def test_score_stays_within_unit_interval():
    assert quality.quality_score({name: 1.0 for name in quality.WEIGHTS}) == 1.0
    assert quality.quality_score({name: 0.0 for name in quality.WEIGHTS}) == 0.0
