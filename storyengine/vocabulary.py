"""The enumerations shared across the project, with English and Telugu labels.

Wire values are the lowercase snake_case names that the API accepts and returns.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoryType(models.TextChoices):
    """The kind of story a writer requests."""

    SHORT_STORY = "short_story", _("Short story")
    FOLK_TALE = "folk_tale", _("Folk tale")
    MORAL_STORY = "moral_story", _("Moral story")
    MYTHOLOGICAL = "mythological", _("Mythological story")
    CHILDREN_STORY = "children_story", _("Children's story")
    HISTORICAL = "historical", _("Historical story")
    POEM = "poem", _("Poem")


class CulturalContext(models.TextChoices):
    """The cultural setting a story is written for."""

    MODERN = "modern", _("Modern")
    TRADITIONAL = "traditional", _("Traditional")
    RURAL = "rural", _("Rural")
    URBAN = "urban", _("Urban")
    MYTHOLOGICAL = "mythological", _("Mythological")
    HISTORICAL = "historical", _("Historical")
    FESTIVAL = "festival", _("Festival")


class Rasa(models.TextChoices):
    """The nine rasas of Indian aesthetics, labelled by the emotion each evokes."""

    SHRINGARA = "shringara", _("Love")
    HASYA = "hasya", _("Joy")
    KARUNA = "karuna", _("Compassion")
    RAUDRA = "raudra", _("Anger")
    VEERA = "veera", _("Courage")
    BHAYANAKA = "bhayanaka", _("Fear")
    BIBHATSA = "bibhatsa", _("Disgust")
    ADBHUTA = "adbhuta", _("Wonder")
    SHANTA = "shanta", _("Peace")


STORY_TYPE_TELUGU: dict[str, str] = {
    StoryType.SHORT_STORY: "చిన్న కథ",
    StoryType.FOLK_TALE: "జానపద కథ",
    StoryType.MORAL_STORY: "నీతి కథ",
    StoryType.MYTHOLOGICAL: "పౌరాణిక కథ",
    StoryType.CHILDREN_STORY: "పిల్లల కథ",
    StoryType.HISTORICAL: "చారిత్రక కథ",
    StoryType.POEM: "కవిత",
}

CULTURAL_CONTEXT_TELUGU: dict[str, str] = {
    CulturalContext.MODERN: "ఆధునిక",
    CulturalContext.TRADITIONAL: "సాంప్రదాయ",
    CulturalContext.RURAL: "గ్రామీణ",
    CulturalContext.URBAN: "నగర",
    CulturalContext.MYTHOLOGICAL: "పౌరాణిక",
    CulturalContext.HISTORICAL: "చారిత్రక",
    CulturalContext.FESTIVAL: "పండుగ",
}

RASA_TELUGU: dict[str, str] = {
    Rasa.SHRINGARA: "శృంగారం",
    Rasa.HASYA: "హాస్యం",
    Rasa.KARUNA: "కరుణ",
    Rasa.RAUDRA: "రౌద్రం",
    Rasa.VEERA: "వీరం",
    Rasa.BHAYANAKA: "భయానకం",
    Rasa.BIBHATSA: "బీభత్సం",
    Rasa.ADBHUTA: "అద్భుతం",
    Rasa.SHANTA: "శాంతం",
}
