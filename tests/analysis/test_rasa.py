"""The lexicon-based rasa analyzer on hand-written Telugu examples."""

from __future__ import annotations

import pytest

from analysis.rasa import RASAS, analyze_emotions, load_lexicon, steering_terms

# One clear sentence per rasa, written for these tests.
EXAMPLES = {
    "shringara": "వెన్నెల రాత్రి ప్రియురాలి కౌగిలిలో అతను అన్నీ మరచిపోయాడు.",
    "hasya": "పిల్లలు పకపకా నవ్వుతూ అల్లరి చేశారు.",
    "karuna": "ఆకలితో ఏడుస్తున్న అనాథ బాలుడిని చూసి ఆమె కన్నీళ్లు పెట్టుకుంది.",
    "raudra": "అన్యాయం చూసి అతను కోపంతో మండిపడ్డాడు.",
    "veera": "శత్రువులను ధైర్యంగా ఎదిరించి యోధుడు విజయం సాధించాడు.",
    "bhayanaka": "చీకటిలో అడుగుల చప్పుడు విని ఆమె భయంతో వణికిపోయింది.",
    "bibhatsa": "కుళ్లిన చెత్త కంపుకు అతనికి వాంతి వచ్చినంత పనైంది.",
    "adbhuta": "ఆకాశంలో కనిపించిన ఆ అద్భుత దృశ్యం చూసి అందరూ ఆశ్చర్యపోయారు.",
    "shanta": "గుడి ప్రాంగణంలో అతను ప్రశాంతంగా ధ్యానం చేస్తూ మౌనంగా కూర్చున్నాడు.",
}


@pytest.mark.parametrize("rasa", RASAS)
def test_example_sentence_has_expected_dominant_rasa(rasa):
    assert analyze_emotions(EXAMPLES[rasa]).dominant == rasa


def test_text_without_hits_scores_zero():
    report = analyze_emotions("అతను బస్సు ఎక్కి ఊరికి వెళ్ళాడు.")
    assert report.dominant is None
    assert set(report.scores.values()) == {0.0}
    assert report.matched_terms == 0


def test_scores_are_shares_of_hits():
    report = analyze_emotions("ఆమె భయంతో వణికింది. కానీ ధైర్యం తెచ్చుకుంది.")
    assert report.hits["bhayanaka"] == 2
    assert report.hits["veera"] == 1
    assert report.scores["bhayanaka"] == pytest.approx(2 / 3)
    assert sum(report.scores.values()) == pytest.approx(1.0)


def test_confidence_grows_with_evidence():
    report = analyze_emotions("ఆమె భయంతో వణికింది. కానీ ధైర్యం తెచ్చుకుంది.")
    assert report.confidence["veera"] == pytest.approx(1 / 2)
    assert report.confidence["bhayanaka"] == pytest.approx(2 / 3)
    assert report.confidence["karuna"] == 0.0


def test_longest_form_wins_over_stem():
    report = analyze_emotions("అతను భయపడలేదు.")
    assert report.dominant == "veera"
    assert report.hits["bhayanaka"] == 0


def test_virama_guard_keeps_duty_out_of_sorrow():
    # బాధ్యత (duty) starts with the code points of బాధ (pain).
    assert analyze_emotions("ఇది నా బాధ్యత.").matched_terms == 0


def test_neutral_form_blocks_please():
    # దయచేసి means "please", though it starts with దయ (mercy).
    assert analyze_emotions("దయచేసి లోపలికి రండి.").matched_terms == 0


def test_whole_word_entry_ignores_longer_word():
    # పగ (revenge) is matched only as a whole word, so పగటి (daytime) is not anger.
    assert analyze_emotions("పగటి వేళ ఎండ ఎక్కువగా ఉంది.").matched_terms == 0


def test_analyzer_normalizes_input():
    decomposed = "ఆమెలో వ\u0c46\u0c56రాగ్యం కలిగింది."
    assert analyze_emotions(decomposed).dominant == "shanta"


def test_terms_are_the_matched_words():
    report = analyze_emotions("అతను కోపంతో అరిచాడు.")
    assert report.terms["raudra"] == ["కోపంతో", "అరిచాడు"]


def test_paragraph_profiles_follow_paragraphs():
    report = analyze_emotions("పిల్లలు నవ్వారు.\n\nఅంతలో చీకటి పడింది, భయం వేసింది.")
    assert [paragraph.dominant for paragraph in report.paragraphs] == ["hasya", "bhayanaka"]
    assert report.paragraphs[1].intensity == pytest.approx(2 / 5)


def test_arc_has_one_point_per_paragraph():
    report = analyze_emotions("పిల్లలు నవ్వారు.\n\nఅంతలో చీకటి పడింది.\n\nఅంతా ప్రశాంతంగా ఉంది.")
    assert [point.emotion for point in report.arc] == ["hasya", "bhayanaka", "shanta"]
    assert [point.segment for point in report.arc] == [0, 1, 2]


def test_arc_positions_are_word_midpoints():
    report = analyze_emotions("పిల్లలు నవ్వారు.\n\nఅంతలో చీకటి పడింది.\n\nఅంతా ప్రశాంతంగా ఉంది.")
    assert [point.position for point in report.arc] == pytest.approx([1 / 8, 7 / 16, 13 / 16], abs=1e-4)


def test_arc_of_single_paragraph_uses_sentences():
    report = analyze_emotions("ఆమె నవ్వింది. అతను కోపంతో వెళ్ళిపోయాడు.")
    assert [point.emotion for point in report.arc] == ["hasya", "raudra"]


def test_arc_of_empty_text_is_empty():
    assert analyze_emotions("  ").arc == []


@pytest.mark.parametrize("rasa", RASAS)
def test_steering_words_evoke_their_rasa(rasa):
    for term in load_lexicon().steering[rasa]:
        assert analyze_emotions(term).dominant == rasa, term


def test_steering_terms_default_order():
    assert steering_terms("karuna", 3) == ["కరుణ", "దయ", "జాలి"]


def test_steering_terms_seeded_sample_is_reproducible():
    assert steering_terms("veera", 4, seed=7) == steering_terms("veera", 4, seed=7)


def test_steering_terms_reject_unknown_rasa():
    with pytest.raises(ValueError, match="unknown rasa"):
        steering_terms("sadness", 3)
