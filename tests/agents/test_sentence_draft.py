"""The writer's sentence draft: words released as they settle, unfinished words and copies held back."""

from __future__ import annotations

from agents.pipeline.draft import SentenceDraft

STORY = "సీత బడికి వెళ్ళింది. రాము పొలానికి వెళ్ళి పని చేశాడు."


def drafted(deltas: list[str], *, story: str = "", opening: str = "") -> tuple[SentenceDraft, list[str]]:
    emitted: list[str] = []
    draft = SentenceDraft(story, opening, emitted.append)
    for delta in deltas:
        draft.push(delta)
    return draft, emitted


def test_word_is_released_when_next_one_begins():
    draft, emitted = drafted([" రాము", " పొలా"])

    assert emitted == [" రాము"]
    assert draft.released == " రాము"


def test_sentence_streams_word_by_word():
    draft, emitted = drafted([" రాము", " పొలానికి", " వెళ్ళాడు"])

    end = draft.finish(".", "stop")

    assert emitted == [" రాము", " పొలానికి", " వెళ్ళాడు."]
    assert end.closed
    assert end.problem is None


def test_word_cut_by_budget_is_never_sent():
    draft, emitted = drafted([" రాము పొలానికి", " వెళ్ళి పని", " చే"])

    end = draft.finish(None, "length")

    assert "".join(emitted) == " రాము పొలానికి వెళ్ళి పని."
    assert end.closed


def test_end_of_generation_keeps_last_word():
    draft, emitted = drafted([" రాము", " నవ్వాడు"])

    draft.finish(None, "stop")

    assert "".join(emitted) == " రాము నవ్వాడు."


def test_word_split_across_deltas_is_nfc():
    draft, emitted = drafted([" రాము పొలం వెళ్ళె", "\u0c56ను"])

    draft.finish("\n", "stop")

    assert "".join(emitted) == " రాము పొలం వెళ్ళైను."


def test_copy_of_earlier_phrase_stops_the_call():
    draft, emitted = drafted([" ఆ రోజు రాము", " పొలానికి", " వెళ్ళి", " పని"], story=STORY)

    end = draft.finish(None, "cancelled")

    assert draft.stopped
    assert "".join(emitted) == " ఆ రోజు రాము"
    assert not end.closed
    assert end.problem is None


def test_copy_with_nothing_new_is_rejected():
    draft, emitted = drafted([" పొలానికి", " వెళ్ళి", " పని"], story=STORY, opening=" ఆ రోజు రాము")

    end = draft.finish(None, "cancelled")

    assert emitted == []
    assert end.problem == "repeat"


def test_common_pair_before_new_words_is_released():
    draft, emitted = drafted([" అప్పుడు", " రాము", " పొలానికి", " పరుగెత్తాడు"], story=STORY)

    end = draft.finish(".", "stop")

    assert "".join(emitted) == " అప్పుడు రాము పొలానికి పరుగెత్తాడు."
    assert not draft.stopped
    assert end.closed


def test_sentence_repeating_itself_stops():
    draft, emitted = drafted([" అమ్మ", " అన్నం", " పెట్టింది", " అమ్మ", " అన్నం", " పెట్టింది", " అని"])

    assert draft.stopped
    assert "".join(emitted) == " అమ్మ అన్నం పెట్టింది అమ్మ"


def test_one_word_sentence_is_rejected():
    draft, emitted = drafted([" అయ్యో"])

    end = draft.finish("!", "stop")

    assert emitted == []
    assert end.problem == "too short"


def test_empty_sentence_is_rejected():
    draft, emitted = drafted([" "])

    end = draft.finish(".", "stop")

    assert emitted == []
    assert end.problem == "empty"


def test_sentence_keeps_its_punctuation():
    draft, emitted = drafted([" రాము", " ఎక్కడ"])

    draft.finish("?", "stop")

    assert "".join(emitted) == " రాము ఎక్కడ?"


def test_trailing_comma_gives_way_to_full_stop():
    draft, emitted = drafted([" రాము", " వచ్చాడు,", " సీ"])

    draft.finish(None, "length")

    assert "".join(emitted) == " రాము వచ్చాడు."


def test_comma_before_next_word_is_sent():
    draft, emitted = drafted([" రాము", " వచ్చాడు,", " సీత", " నవ్వింది"])

    draft.finish(".", "stop")

    assert "".join(emitted) == " రాము వచ్చాడు, సీత నవ్వింది."


def test_opening_words_count_toward_minimum():
    draft, emitted = drafted([" నవ్వాడు"], opening=" రాము")

    end = draft.finish(".", "stop")

    assert end.closed
    assert "".join(emitted) == " నవ్వాడు."


def test_opening_without_more_words_is_closed():
    draft, emitted = drafted([], opening=" రాము నవ్వాడు")

    end = draft.finish(".", "stop")

    assert end.closed
    assert emitted == ["."]
