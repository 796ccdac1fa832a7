"""Grapheme-safe cutting, whole-word counting and normalization of Telugu text."""

from __future__ import annotations

import re

import pytest

from analysis.text import (
    ZWNJ,
    cut_text,
    cut_to_words,
    distinct_n,
    graphemes,
    normalize,
    paragraphs,
    sentences,
    telugu_letter_share,
    word_count,
    words,
)

KSHAMA = "\u0c15\u0c4d\u0c37\u0c2e"  # క్షమ: KA, VIRAMA, SSA, MA
RAMKUMAR = "రామ్\u200cకుమార్"  # ZWNJ after the virama keeps the half form visible
STORY = "ఒక ఊరిలో రామ్\u200cకుమార్ అనే రైతు ఉండేవాడు. అతనికి క్షమ అనే కూతురు ఉంది! ఫోన్ మోగింది."


def test_conjunct_is_one_grapheme_cluster():
    assert graphemes(KSHAMA) == ["క్ష", "మ"]


@pytest.mark.parametrize("max_chars", range(0, 7))
def test_cut_keeps_conjunct_whole(max_chars):
    assert cut_text(KSHAMA, max_chars) in {"", "క్ష", KSHAMA}


def test_cut_after_two_code_points_drops_half_conjunct():
    assert cut_text(KSHAMA, 2) == ""


def test_cut_after_three_code_points_keeps_conjunct():
    assert cut_text(KSHAMA, 3) == "క్ష"


def test_cut_keeps_word_final_virama():
    assert cut_text("ఫోన్ మోగింది", 6) == "ఫోన్"


@pytest.mark.parametrize("max_chars", range(0, len(STORY) + 1))
def test_cut_ends_on_cluster_boundary(max_chars):
    cut = cut_text(STORY, max_chars)
    clusters = graphemes(STORY)
    assert len(cut) <= max_chars
    assert STORY.startswith(cut)
    assert graphemes(cut) == clusters[: len(graphemes(cut))]


@pytest.mark.parametrize("max_chars", range(0, len(STORY) + 1))
def test_cut_never_ends_with_joiner_or_space(max_chars):
    cut = cut_text(STORY, max_chars)
    assert not cut.endswith(ZWNJ)
    assert cut == cut.rstrip()


def test_cut_prefers_word_boundary():
    assert cut_text("క్షమ కృష్ణుడు వచ్చాడు", 12) == "క్షమ"


def test_cut_keeps_sentence_end_punctuation():
    assert cut_text("అతడు వచ్చాడు. ఆమె చూసింది.", 16) == "అతడు వచ్చాడు."


def test_cut_with_ellipsis_fits_budget():
    cut = cut_text("అతడు వచ్చాడు. ఆమె చూసింది.", 16, ellipsis="…")
    assert cut == "అతడు వచ్చాడు…"
    assert len(cut) <= 16


def test_cut_returns_short_text_unchanged():
    assert cut_text(KSHAMA, 4, ellipsis="…") == KSHAMA


def test_cut_without_room_for_ellipsis_is_empty():
    assert cut_text("క్షమ కృష్ణుడు", 1, ellipsis="...") == ""


def test_cut_rejects_negative_length():
    with pytest.raises(ValueError, match="max_chars"):
        cut_text(KSHAMA, -1)


def test_cut_to_words_keeps_whole_words():
    assert cut_to_words("క్షమ కృష్ణుడు, రాముడు వచ్చారు.", 2) == "క్షమ కృష్ణుడు,"


def test_cut_to_words_with_ellipsis_drops_comma():
    assert cut_to_words("క్షమ కృష్ణుడు, రాముడు వచ్చారు.", 2, ellipsis="…") == "క్షమ కృష్ణుడు…"


def test_word_count_sees_whole_telugu_words():
    assert word_count("క్షమ కృష్ణుడు") == 2


def test_words_are_whole():
    assert words("క్షమ కృష్ణుడు") == ["క్షమ", "కృష్ణుడు"]


def test_python_re_word_class_splits_telugu():
    # The reason words() does not use re's \w: vowel signs and virama are marks.
    assert len(re.findall(r"\w+", "క్షమ కృష్ణుడు")) > 2


def test_punctuation_is_not_a_word():
    assert words("“అవును!” అన్నాడు... 2024లో?") == ["అవును", "అన్నాడు", "2024లో"]


def test_normalize_composes_ai_vowel_sign():
    assert normalize("\u0c46\u0c56") == "\u0c48"


def test_normalized_spellings_compare_equal():
    assert normalize("క\u0c46\u0c56") == normalize("కై")


def test_zwnj_word_counts_as_one():
    assert word_count(RAMKUMAR) == 1


def test_zwnj_survives_word_split_and_normalization():
    assert words(RAMKUMAR) == [RAMKUMAR]
    assert normalize(RAMKUMAR) == RAMKUMAR


@pytest.mark.parametrize("max_chars", range(0, len(RAMKUMAR)))
def test_forced_cut_in_zwnj_word_drops_joiner(max_chars):
    cut = cut_text(RAMKUMAR, max_chars)
    assert not cut.endswith(ZWNJ)
    assert RAMKUMAR.startswith(cut)


def test_forced_cut_after_joiner_ends_in_half_form():
    assert cut_text(RAMKUMAR, 5) == "రామ్"


def test_telugu_letter_share_counts_letter_code_points():
    assert telugu_letter_share("abc క్ష") == pytest.approx(2 / 5)


def test_telugu_letter_share_without_letters_is_zero():
    assert telugu_letter_share("123 !?") == 0.0


def test_distinct_bigrams_of_repeated_phrase():
    assert distinct_n("అమ్మ వచ్చింది అమ్మ వచ్చింది", 2) == pytest.approx(2 / 3)


def test_distinct_n_of_too_short_text_is_one():
    assert distinct_n("అమ్మ", 2) == 1.0


def test_paragraphs_split_on_blank_lines():
    assert paragraphs("మొదటి\nవరుస\n\n  రెండవ  \n\n\nమూడవ") == ["మొదటి\nవరుస", "రెండవ", "మూడవ"]


def test_paragraphs_fall_back_to_lines():
    assert paragraphs("ఒకటి\nరెండు\n") == ["ఒకటి", "రెండు"]


def test_sentences_keep_closing_quote():
    assert sentences("అతను వచ్చాడు. “ఎవరు?” అంది. సరే") == ["అతను వచ్చాడు.", "“ఎవరు?”", "అంది.", "సరే"]
