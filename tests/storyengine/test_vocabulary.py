"""Wire values and labels of the shared enumerations."""

from __future__ import annotations

from storyengine.vocabulary import (
    CULTURAL_CONTEXT_TELUGU,
    RASA_TELUGU,
    STORY_TYPE_TELUGU,
    CulturalContext,
    Rasa,
    StoryType,
)


def test_rasa_wire_values_are_the_nine_rasas():
    expected = ["shringara", "hasya", "karuna", "raudra", "veera", "bhayanaka", "bibhatsa", "adbhuta", "shanta"]
    assert Rasa.values == expected


def test_story_type_wire_values():
    expected = ["short_story", "folk_tale", "moral_story", "mythological", "children_story", "historical", "poem"]
    assert StoryType.values == expected


def test_cultural_context_wire_values():
    expected = ["modern", "traditional", "rural", "urban", "mythological", "historical", "festival"]
    assert CulturalContext.values == expected


def test_rasa_has_english_label():
    assert str(Rasa.KARUNA.label) == "Compassion"


def test_every_rasa_has_telugu_label():
    assert set(RASA_TELUGU) == set(Rasa.values)
    assert RASA_TELUGU["karuna"] == "కరుణ"


def test_every_story_type_has_telugu_label():
    assert set(STORY_TYPE_TELUGU) == set(StoryType.values)


def test_every_cultural_context_has_telugu_label():
    assert set(CULTURAL_CONTEXT_TELUGU) == set(CulturalContext.values)
