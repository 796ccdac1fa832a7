"""Planner validation and the writer's paragraph schedule (no model needed)."""

from __future__ import annotations

from agents.pipeline.beats import BEATS, CONTINUATION_CUES
from agents.pipeline.planner import validate_title
from agents.pipeline.writer import paragraph_plan, paragraph_schedule

GROUNDING = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం రాము"


def test_title_sharing_prompt_stem_is_kept():
    assert validate_title("గోదావరి రైతు", GROUNDING) is None


def test_title_of_unrelated_words_is_rejected():
    assert validate_title("పుస్తకం బల్ల", GROUNDING) == "shares no word with the prompt, characters or place"


def test_title_in_latin_script_is_rejected():
    assert validate_title("Godavari farmer", GROUNDING) == "is not all Telugu"


def test_title_with_repeated_word_is_rejected():
    assert validate_title("రైతు రైతు", GROUNDING) == "repeats a word"


def test_title_too_long_is_rejected():
    assert validate_title("గోదావరి ఒడ్డున చిన్న పేద రైతు", GROUNDING) == "has 5 words"


def test_empty_title_is_rejected():
    assert validate_title("", GROUNDING) == "has 0 words"


def test_every_story_type_has_beats_with_known_placeholders():
    for story_type, beats in BEATS.items():
        assert len(beats) >= 5, story_type
        for beat in beats:
            beat.cue.format(name="రాము", place="గోదావరి", companion="సీత")


def test_schedule_keeps_every_beat_once_in_order():
    cues = ["a", "b", "c"]

    schedule = paragraph_schedule(cues, 7)

    assert len(schedule) == 7
    assert [cue for cue in schedule if cue in cues] == cues
    assert schedule[0] == "a"
    assert all(cue in cues or cue in CONTINUATION_CUES for cue in schedule)


def test_schedule_equals_beats_when_counts_match():
    assert paragraph_schedule(["a", "b", "c"], 3) == ["a", "b", "c"]


def test_paragraph_plan_for_short_story_uses_beats():
    count, words = paragraph_plan(150, 7)

    assert count == 7
    assert words == 22


def test_paragraph_plan_for_long_story_caps_paragraph_length():
    count, words = paragraph_plan(10000, 7)

    assert count == 125
    assert words <= 80


def test_finished_sentence_is_nfc_and_punctuated():
    from agents.pipeline.prose import finish_sentence

    sentence, problem = finish_sentence(" రాము పొలం వెళ్ళె\u0c56ను", "\n", "")

    assert problem is None
    assert sentence == " రాము పొలం వెళ్ళైను."


def test_sentence_cut_by_budget_loses_unfinished_word():
    from agents.pipeline.prose import finish_sentence

    sentence, problem = finish_sentence(" రాము పొలానికి వెళ్ళి పని చే", None, "")

    assert problem is None
    assert sentence == " రాము పొలానికి వెళ్ళి పని."


def test_repeated_sentence_is_rejected():
    from agents.pipeline.prose import finish_sentence

    story = "సీత బడికి వెళ్ళింది. రాము పొలానికి వెళ్ళి పని చేశాడు."

    assert finish_sentence(" రాము పొలానికి వెళ్ళి పని చేశాడు", ".", story) == ("", "repeat")


def test_title_with_run_together_word_is_rejected():
    title = "రైతులుకుమాటరీనుంచిపోగలిగేది"

    assert validate_title(title, GROUNDING + " రైతులు") == "has a run-together word"
