"""Forms of the story pages, with the bounds of the API's serializers and translated messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from analysis.text import normalize
from storyengine.vocabulary import CulturalContext, Rasa, StoryType
from stories.models import RefinementType
from stories.search import MAX_QUERY_CHARS
from stories.services import DEFAULT_SORT, GenerationParams, StoryListQuery

PROMPT_MIN_CHARS = 10
PROMPT_MAX_CHARS = 1000
LENGTH_MIN_WORDS = 100
LENGTH_MAX_WORDS = 10000
LENGTH_DEFAULT_WORDS = 500
LIBRARY_PAGE_SIZE = 12
# The bounds of RefineStorySerializer.
REFINE_LIST_MAX_ITEMS = 20
IMPROVEMENT_MAX_CHARS = 500
PRESERVED_MAX_CHARS = 200

SORT_CHOICES = [
    ("created_desc", _("Newest first")),
    ("created_asc", _("Oldest first")),
    ("quality_desc", _("Highest quality first")),
    ("quality_asc", _("Lowest quality first")),
]

# The refinement types with a sentence saying what each one changes.
REFINEMENT_HELP = {
    RefinementType.EMOTION_ENHANCEMENT: _("Strengthens the feelings you asked for."),
    RefinementType.CULTURAL_ADAPTATION: _("Brings in customs, places and food that fit the setting."),
    RefinementType.CHARACTER_DEVELOPMENT: _("Gives the characters more depth and clearer motives."),
    RefinementType.PLOT_IMPROVEMENT: _("Tightens the order of events and the ending."),
    RefinementType.LANGUAGE_POLISHING: _("Smooths sentences, spacing and word choice without changing events."),
}
REFINEMENT_LABELS = {
    RefinementType.EMOTION_ENHANCEMENT: _("Deepen the emotions"),
    RefinementType.CULTURAL_ADAPTATION: _("Adapt to the culture"),
    RefinementType.CHARACTER_DEVELOPMENT: _("Develop the characters"),
    RefinementType.PLOT_IMPROVEMENT: _("Improve the plot"),
    RefinementType.LANGUAGE_POLISHING: _("Polish the language"),
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in normalize(text).splitlines() if line.strip()]


class ComposeForm(forms.Form):
    """A story request, checked as POST stories/generate checks it."""

    prompt = forms.CharField(
        label=_("What should the story be about?"),
        min_length=PROMPT_MIN_CHARS,
        max_length=PROMPT_MAX_CHARS,
        widget=forms.Textarea(attrs={
                "rows": 4,
                "lang": "te",
                # Read by static/js/transliterate.js when the page includes it.
                "data-transliterate": "true",
                "data-transliterate-toggle": "transliterate-toggle",
            }),
        help_text=_("10 to 1000 characters. Name a place, a person or a moment, in Telugu or English."),
    )
    story_type = forms.ChoiceField(label=_("Story type"), choices=StoryType.choices, initial=StoryType.SHORT_STORY)
    cultural_context = forms.ChoiceField(
        label=_("Cultural setting"), choices=CulturalContext.choices, initial=CulturalContext.MODERN
    )
    emotion_focus = forms.MultipleChoiceField(
        label=_("Rasas to bring out"),
        choices=Rasa.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose none, one or several of the nine rasas."),
    )
    length = forms.IntegerField(
        label=_("Length in words"),
        min_value=LENGTH_MIN_WORDS,
        max_value=LENGTH_MAX_WORDS,
        initial=LENGTH_DEFAULT_WORDS,
        help_text=_("From 100 to 10000 words. A short story takes a few minutes to write."),
        widget=forms.NumberInput(attrs={"step": "50", "inputmode": "numeric"}),
    )

    def clean_prompt(self) -> str:
        # CharField strips surrounding whitespace before the length checks, as the API does.
        return normalize(self.cleaned_data["prompt"])

    def params(self) -> GenerationParams:
        data = self.cleaned_data
        return GenerationParams(
            prompt=data["prompt"],
            story_type=data["story_type"],
            cultural_context=data["cultural_context"],
            target_length=data["length"],
            emotion_focus=list(dict.fromkeys(data["emotion_focus"])),
        )


class LibraryQueryForm(forms.Form):
    """The library's search, filters, sort and page; invalid values fall back to the defaults."""

    search = forms.CharField(label=_("Search"), required=False, max_length=MAX_QUERY_CHARS)
    story_type = forms.ChoiceField(
        label=_("Story type"), required=False, choices=[("", _("All types")), *StoryType.choices]
    )
    cultural_context = forms.ChoiceField(
        label=_("Cultural setting"), required=False, choices=[("", _("All settings")), *CulturalContext.choices]
    )
    sort_by = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
    page = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def query(self) -> StoryListQuery:
        data = self.cleaned_data if self.is_valid() else {}
        return StoryListQuery(
            page=data.get("page") or 1,
            limit=LIBRARY_PAGE_SIZE,
            story_type=data.get("story_type") or None,
            cultural_context=data.get("cultural_context") or None,
            sort_by=data.get("sort_by") or DEFAULT_SORT,
            search=data.get("search") or "",
        )


class RefineForm(forms.Form):
    """A refinement request, checked as POST stories/{id}/refine checks it."""

    type = forms.ChoiceField(
        label=_("Kind of change"),
        choices=[(value, REFINEMENT_LABELS[value]) for value in RefinementType.values],
        widget=forms.RadioSelect,
    )
    improvements = forms.CharField(
        label=_("What should change?"),
        widget=forms.Textarea(attrs={"rows": 3, "lang": "te"}),
        help_text=_("One improvement per line, for example: make the ending hopeful."),
    )
    preserve_elements = forms.CharField(
        label=_("What must stay as it is?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "lang": "te"}),
        help_text=_("Optional. One name, place or phrase per line."),
    )

    def clean_improvements(self) -> list[str]:
        lines = _lines(self.cleaned_data["improvements"])
        if not lines:
            raise forms.ValidationError(_("Write at least one improvement."))
        if len(lines) > REFINE_LIST_MAX_ITEMS:
            raise forms.ValidationError(_("Write at most 20 lines."))
        if any(len(line) > IMPROVEMENT_MAX_CHARS for line in lines):
            raise forms.ValidationError(_("Keep each improvement to 500 characters or fewer."))
        return lines

    def clean_preserve_elements(self) -> list[str]:
        lines = _lines(self.cleaned_data["preserve_elements"])
        if len(lines) > REFINE_LIST_MAX_ITEMS:
            raise forms.ValidationError(_("Write at most 20 lines."))
        if any(len(line) > PRESERVED_MAX_CHARS for line in lines):
            raise forms.ValidationError(_("Keep each line to 200 characters or fewer."))
        return lines


class PublishForm(forms.Form):
    is_public = forms.BooleanField(required=False)


class DiffForm(forms.Form):
    """Two version numbers to compare, ``before`` and ``after``."""

    before = forms.IntegerField(label=_("Earlier version"), min_value=1, max_value=2**31 - 1)
    after = forms.IntegerField(label=_("Later version"), min_value=1, max_value=2**31 - 1)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("before") is not None and cleaned.get("before") == cleaned.get("after"):
            raise forms.ValidationError(_("Choose two different versions."))
        return cleaned
