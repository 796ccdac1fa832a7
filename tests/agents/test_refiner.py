"""The refiner against the real model (Gemma 3 270M, capped at 40 tokens a call) and its deterministic parts."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps

from agents.models import Agent, AgentRun, AgentRunOutcome
from agents.pipeline.refiner import (
    PROTAGONIST_OPENINGS,
    RASA_OPENINGS,
    REFINEMENT_TYPES,
    TRANSITION_OPENINGS,
    paragraph_share,
    paragraph_spans,
    plan_replacements,
    polish_paragraph,
    preserved_paragraphs,
    replace_elements,
    run_refinement,
    split_lead,
)
from agents.pipeline.types import PipelineCancelled, RefinementRequest
from agents.seeds import REFINER_TEMPLATE
from analysis import rasa
from analysis.text import normalize, paragraphs, word_count
from stories.models import Story

pytestmark = pytest.mark.django_db

TITLE = "రాము పొలం"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
OPENING = "గోదావరి ఒడ్డున ఒక చిన్న పల్లెలో రాము అనే రైతు ఉండేవాడు. అతనికి తన పొలం అంటే ప్రాణం. ప్రతి రోజూ తెల్లవారగానే ఎద్దులతో పొలానికి వెళ్ళేవాడు."
DROUGHT = "ఒక ఏడాది వర్షాలు సరిగా పడలేదు. పంట ఎండిపోయింది. రాము చాలా బాధపడ్డాడు. ఇంట్లో పిల్లలు ఆకలితో ఏడ్చారు."
CANAL = "అప్పుడు అతని భార్య సీత ఒక ఉపాయం చెప్పింది. ఊరి చెరువు నుంచి పొలానికి కాలువ తవ్వుదామని అంది. ఊరంతా కలిసి ఆ కాలువ తవ్వింది."
HARVEST = "సంక్రాంతి నాటికి పొలం మళ్ళీ పచ్చగా మారింది. సీత అరిసెలు వండింది. రాము కళ్ళలో ఆనందం మెరిసింది."
STORY = normalize("\n\n".join([OPENING, DROUGHT, CANAL, HARVEST]))
PRESERVED = "ఊరంతా కలిసి ఆ కాలువ తవ్వింది"


class RecordingListener:
    """Keeps every delta, stage and checkpoint, and requests a stop once ``stop_after`` checkpoints were taken."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.deltas: list[str] = []
        self.stages: list[tuple[str, str]] = []
        self.checkpoints: list[str] = []
        self.stop_after = stop_after

    def stage_started(self, role: str) -> None:
        self.stages.append(("started", role))

    def text(self, delta: str) -> None:
        self.deltas.append(delta)

    def stage_finished(self, role: str, summary: str) -> None:
        self.stages.append(("finished", role))

    def checkpoint(self, plan: dict[str, Any], content: str) -> None:
        self.checkpoints.append(content)

    def should_stop(self) -> bool:
        return self.stop_after is not None and len(self.checkpoints) >= self.stop_after


def saved_story(owner, content: str = STORY) -> Story:
    return Story.objects.create(
        owner=owner,
        prompt=PROMPT,
        target_length=100,
        content=content,
        title=TITLE,
        status="completed",
        cultural_context="rural",
    )


def refinement(refinement_type: str, content: str = STORY, **overrides: Any) -> RefinementRequest:
    values: dict[str, Any] = {
        "title": TITLE,
        "content": content,
        "story_type": "short_story",
        "cultural_context": "rural",
        "target_length": 100,
        "refinement_type": refinement_type,
        "emotion_focus": ("karuna",),
        "improvements": ("కథ మరింత హృద్యంగా ఉండాలి",),
        "preserve_elements": (PRESERVED,),
        "seed": 7,
    }
    values.update(overrides)
    return RefinementRequest(**values)


# Deterministic parts, no model.


def test_paragraph_spans_match_text_paragraphs():
    for text in [STORY, "  ఒకటి.\n\n\n  రెండు.  \n \nమూడు.", "పాట ఒకటి,\nపాట రెండు,\n\nముగింపు."]:
        spans = paragraph_spans(text)

        assert [text[start:end] for start, end in spans] == paragraphs(text)


def test_spans_split_single_lines():
    text = "మొదటి వరుస.\nరెండో వరుస."

    assert [text[start:end] for start, end in paragraph_spans(text)] == ["మొదటి వరుస.", "రెండో వరుస."]


def test_preserved_string_marks_its_paragraph():
    spans = paragraph_spans(STORY)

    assert preserved_paragraphs(STORY, spans, (PRESERVED,)) == [False, False, True, False]


def test_preserved_string_spanning_paragraphs():
    spans = paragraph_spans(STORY)
    across = "ఏడ్చారు.\n\nఅప్పుడు"

    assert preserved_paragraphs(STORY, spans, (across,)) == [False, True, True, False]


def test_share_spreads_remaining_words():
    # 60 words left for paragraphs of 20 and 40 original words: 20 go to the first.
    assert paragraph_share(100, 40, [40, 20, 40], 1) == 20


def test_share_is_capped_at_twice_the_original():
    assert paragraph_share(100, 0, [5, 95], 0) == 5
    assert paragraph_share(200, 0, [10, 10], 0) == 20


def test_lead_keeps_whole_sentences():
    lead = split_lead(DROUGHT, 8)

    assert lead.text == "ఒక ఏడాది వర్షాలు సరిగా పడలేదు. పంట ఎండిపోయింది."
    assert lead.cut_ending == ""
    assert lead.dropped == ["రాము చాలా బాధపడ్డాడు.", "ఇంట్లో పిల్లలు ఆకలితో ఏడ్చారు."]


def test_lead_cuts_long_first_sentence():
    lead = split_lead(OPENING, 4)

    assert lead.text == "గోదావరి ఒడ్డున ఒక చిన్న"
    assert lead.cut_ending == " పల్లెలో రాము అనే రైతు ఉండేవాడు."
    assert len(lead.dropped) == 2


def test_every_rasa_opening_counts_for_its_rasa():
    for name, openings in RASA_OPENINGS.items():
        for opening in openings:
            assert rasa.count_hits(opening).hits[name] == 1.0, opening


def test_polishing_removes_english_and_repeated_sentences():
    paragraph = "పంట ఎండిపోయింది. This line is in English. పంట ఎండిపోయింది. రాము బాధపడ్డాడు."

    polished, removed = polish_paragraph(paragraph, "")

    assert polished == "పంట ఎండిపోయింది. రాము బాధపడ్డాడు."
    assert {"sentence": "This line is in English.", "reason": "not Telugu"} in removed
    assert {"sentence": "పంట ఎండిపోయింది.", "reason": "repeat"} in removed


def test_polishing_removes_earlier_repeat():
    polished, removed = polish_paragraph("రాము చాలా బాధపడ్డాడు. సీత ఓదార్చింది.", DROUGHT)

    assert polished == "సీత ఓదార్చింది."
    assert removed == [{"sentence": "రాము చాలా బాధపడ్డాడు.", "reason": "repeat"}]


def test_polishing_fixes_spacing_and_punctuation():
    polished, removed = polish_paragraph("రాము  పొలానికి వెళ్ళాడు .సీత ఇంట్లో ఉంది,,అలసిపోయింది!!  పిల్లలు నవ్వారు", "")

    assert polished == "రాము పొలానికి వెళ్ళాడు. సీత ఇంట్లో ఉంది, అలసిపోయింది! పిల్లలు నవ్వారు."
    assert removed == []


def test_polishing_drops_comma_before_full_stop():
    polished, _ = polish_paragraph("రాము వచ్చాడు,. సీత నవ్వింది", "")

    assert polished == "రాము వచ్చాడు. సీత నవ్వింది."


def test_polishing_keeps_verse_lines():
    polished, _ = polish_paragraph("వెన్నెల కురిసింది,\nమనసు మురిసింది", "")

    assert polished == "వెన్నెల కురిసింది,\nమనసు మురిసింది."


def test_cultural_replacement_keeps_case_ending():
    _, replacements = plan_replacements("సంక్రాంతి పండుగ వచ్చింది.", "urban", "short_story", seed=1)
    adapted_name = replacements["sankranti"].adapted.name_te

    text, changes = replace_elements("సంక్రాంతికి అందరూ వచ్చారు.", replacements)

    assert text == f"{adapted_name}కి అందరూ వచ్చారు."
    assert changes[0]["original"] == "సంక్రాంతి"
    assert changes[0]["adapted"] == adapted_name


def test_cultural_replacement_leaves_fitting_elements():
    _, replacements = plan_replacements("దీపావళి పండుగ వచ్చింది.", "urban", "short_story", seed=1)

    assert replacements == {}


# The real model.


def check_emotion_enhancement(run: AgentRun, content: str) -> None:
    assert run.details["steered_rasas"] == ["hasya"]
    assert run.details["focus_share"]["after"] > run.details["focus_share"]["before"]


def check_cultural_adaptation(run: AgentRun, content: str) -> None:
    # The story's Sankranti and ariselu are rural; the request adapts it to a city.
    assert "సంక్రాంతి" not in content
    assert any(change["original"] == "సంక్రాంతి" for change in run.details["replacements"])
    assert run.details["target_context"] == "urban"


def check_character_development(run: AgentRun, content: str) -> None:
    assert run.details["protagonist"] == "రాము"
    assert run.details["added_sentences"]["accepted"] >= 1
    assert any(opening.format(name="రాము") in content for opening in PROTAGONIST_OPENINGS)


def check_plot_improvement(run: AgentRun, content: str) -> None:
    assert run.details["added_sentences"]["accepted"] >= 1
    assert any(f" {opening}" in content for opening in TRANSITION_OPENINGS)


def check_language_polishing(run: AgentRun, content: str) -> None:
    # The story is clean, so polishing changes nothing and needs no model call.
    assert content == STORY
    assert run.details["model_calls"] == 0


TYPE_CASES = {
    "emotion_enhancement": ({"emotion_focus": ("hasya",)}, check_emotion_enhancement),
    "cultural_adaptation": ({"cultural_context": "urban"}, check_cultural_adaptation),
    "character_development": ({}, check_character_development),
    "plot_improvement": ({}, check_plot_improvement),
    "language_polishing": ({}, check_language_polishing),
}


def test_cases_cover_every_type():
    assert set(TYPE_CASES) == set(REFINEMENT_TYPES)


@pytest.mark.parametrize("refinement_type", REFINEMENT_TYPES)
def test_refinement_completes_with_recorded_steps(owner, refinement_type):
    overrides, check_type = TYPE_CASES[refinement_type]
    story = saved_story(owner)
    listener = RecordingListener()

    result = run_refinement(str(story.pk), refinement(refinement_type, **overrides), listener)

    runs = AgentRun.objects.filter(story=story)
    assert list(runs.values_list("agent_id", flat=True)) == ["refiner", "emotion", "editor"]
    assert set(runs.values_list("outcome", flat=True)) <= {AgentRunOutcome.SUCCEEDED, AgentRunOutcome.FELL_BACK}
    assert "".join(listener.deltas) == result.content
    assert listener.checkpoints[-1] == result.content
    assert len(listener.checkpoints) == len(paragraphs(STORY))
    assert CANAL in result.content
    assert PRESERVED in result.content
    assert 0.8 <= word_count(result.content) / word_count(STORY) <= 1.3
    assert result.content == normalize(result.content)
    assert result.title == TITLE
    assert result.plan == {"title": TITLE}
    assert 0.0 <= result.quality_score <= 1.0
    assert result.emotions
    assert ("finished", "editor") in listener.stages
    refiner_run = runs.get(agent_id="refiner")
    assert refiner_run.details["words_before"] == word_count(STORY)
    assert refiner_run.details["words_after"] == result.word_count
    check_type(refiner_run, result.content)


def test_polishing_drops_defects_and_keeps_length(owner):
    defective = normalize(
        "\n\n".join(
            [
                OPENING,
                DROUGHT + " This sentence is English. పంట ఎండిపోయింది.",
                CANAL.replace(". ", " . ", 1),
                HARVEST,
            ]
        )
    )
    story = saved_story(owner, defective)
    listener = RecordingListener()

    result = run_refinement(str(story.pk), refinement("language_polishing", defective, preserve_elements=()), listener)

    assert "English" not in result.content
    assert result.content.count("పంట ఎండిపోయింది") == 1
    assert " ." not in result.content
    assert "".join(listener.deltas) == result.content
    assert word_count(result.content) >= 0.8 * word_count(defective)


def test_plan_passed_in_is_kept(owner):
    story = saved_story(owner)
    plan = {"title": TITLE, "characters": [{"name_te": "రాము"}], "setting": PROMPT}

    result = run_refinement(str(story.pk), refinement("language_polishing", plan=plan), RecordingListener())

    assert result.plan == plan
    assert result.content == STORY


def test_cancelled_listener_stops_refinement(owner):
    story = saved_story(owner)
    listener = RecordingListener(stop_after=1)

    with pytest.raises(PipelineCancelled):
        run_refinement(str(story.pk), refinement("plot_improvement", preserve_elements=(OPENING,)), listener)

    run = AgentRun.objects.get(story=story, agent_id="refiner")
    assert run.outcome == AgentRunOutcome.CANCELLED
    assert listener.checkpoints == [OPENING]
    assert "".join(listener.deltas) == OPENING
    assert not AgentRun.objects.filter(story=story, agent_id__in=["emotion", "editor"]).exists()


def test_disabled_refiner_polishes_without_model(owner):
    Agent.objects.filter(pk="refiner").update(enabled=False)
    story = saved_story(owner)

    result = run_refinement(str(story.pk), refinement("character_development"), RecordingListener())

    run = AgentRun.objects.get(story=story, agent_id="refiner")
    assert run.outcome == AgentRunOutcome.FELL_BACK
    assert run.details["model_calls"] == 0
    assert result.content == STORY


def test_template_migration_updates_old_default():
    migration = importlib.import_module("agents.migrations.0003_refiner_template")
    Agent.objects.filter(pk="refiner").update(prompt_template=migration.OLD_TEMPLATE)

    migration.use_refinement_line(django_apps, None)

    assert Agent.objects.get(pk="refiner").prompt_template == REFINER_TEMPLATE


def test_template_migration_keeps_edited_template():
    migration = importlib.import_module("agents.migrations.0003_refiner_template")
    edited = "కథ: {title}\n\n{content}"
    Agent.objects.filter(pk="refiner").update(prompt_template=edited)

    migration.use_refinement_line(django_apps, None)

    assert Agent.objects.get(pk="refiner").prompt_template == edited
