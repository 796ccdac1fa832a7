"""The cultural knowledge base: detection, selection and name and place picks."""

from __future__ import annotations

import pytest

from analysis.culture import (
    CATEGORIES,
    detect_elements,
    get_entry,
    load_knowledge_base,
    pick_names,
    pick_place,
    select_elements,
)
from storyengine.vocabulary import CulturalContext, StoryType

PASSAGE = (
    "సంక్రాంతి పండుగకు ఊరంతా ముగ్గులతో నిండిపోయింది. గంగిరెద్దుల వాళ్ళు ఇంటింటికీ వచ్చారు. "
    "అమ్మ అరిసెలు, పులిహోర చేసింది. సాయంత్రం గోదావరి ఒడ్డున కోడిపందాలు జరిగాయి. "
    "ముగ్గురు పిల్లలు గాలిపటాలు ఎగరేశారు."
)


def detected_ids(text: str) -> set[str]:
    return {element.id for element in detect_elements(text)}


def test_knowledge_base_covers_every_category():
    categories = {entry.category for entry in load_knowledge_base().entries}
    assert categories == set(CATEGORIES)


def test_entries_use_known_contexts_and_story_types():
    for entry in load_knowledge_base().entries:
        assert set(entry.contexts) <= set(CulturalContext.values), entry.id
        assert set(entry.story_types) <= set(StoryType.values), entry.id


def test_every_name_entry_has_gender():
    for entry in load_knowledge_base().entries:
        if entry.category == "name":
            assert entry.gender in {"female", "male"}, entry.id


def test_every_entry_detects_its_own_telugu_name():
    for entry in load_knowledge_base().entries:
        assert entry.id in detected_ids(entry.name_te), entry.id


def test_every_entry_detects_its_own_english_name():
    for entry in load_knowledge_base().entries:
        assert entry.id in detected_ids(entry.name_en), entry.id


def test_detects_inflected_festival_food_place_and_custom():
    found = detected_ids(PASSAGE)
    for expected in ["sankranti", "muggulu", "gangireddulu", "ariselu", "pulihora", "godavari", "kodi_pandalu", "kites"]:
        assert expected in found, expected


def test_detection_skips_look_alike_words():
    # ముగ్గురు (three people) starts like ముగ్గు (rangoli); సాయంత్రం is evening.
    found = detected_ids("సాయంత్రం ముగ్గురు స్నేహితులు కలిశారు.")
    assert "muggulu" not in found
    assert found == set()


def test_detection_counts_mentions():
    elements = {element.id: element for element in detect_elements("గోదావరి పొంగింది. గోదావరిలో పడవలు. గోదారి గట్టు.")}
    assert elements["godavari"].mentions == 3
    assert elements["godavari"].confidence == pytest.approx(3 / 4)


def test_detection_orders_by_mentions():
    elements = detect_elements("ఉగాది రోజు పులిహోర, మళ్ళీ పులిహోర.")
    assert [element.id for element in elements] == ["pulihora", "ugadi"]


def test_compound_form_credits_food_and_festival():
    assert {"ugadi_pachadi", "ugadi"} <= detected_ids("అమ్మ ఉగాది పచ్చడి చేసింది.")


def test_detection_survives_zwnj_before_suffix():
    assert "hyderabad" in detected_ids("అతను హైదరాబాద్\u200cలో ఉంటాడు.")


def test_detection_filters_by_category():
    elements = detect_elements(PASSAGE, categories=("food",))
    assert {element.category for element in elements} == {"food"}


def test_english_prompt_mentions_are_detected():
    assert {"sankranti", "godavari"} <= detected_ids("A story about Sankranti on the Godavari")


def test_select_puts_prompt_mentions_first():
    chosen = select_elements("urban", "short_story", "బతుకమ్మ పండుగ గురించి కథ", limit=5)
    assert chosen[0].id == "bathukamma"
    assert chosen[0].relevance == pytest.approx(2.0 + 0.5)


def test_select_fills_with_context_fits_across_categories():
    chosen = select_elements("rural", "folk_tale", "ఒక మంచి కథ రాయి", limit=4)
    assert len(chosen) == 4
    assert len({element.category for element in chosen}) == 4
    for element in chosen:
        assert "rural" in get_entry(element.id).contexts, element.id


def test_select_leaves_out_names_not_in_prompt():
    chosen = select_elements("modern", "short_story", "ఒక మంచి కథ రాయి", limit=20)
    assert all(element.category != "name" for element in chosen)


def test_select_is_deterministic_for_a_seed():
    first = select_elements("festival", "children_story", "పండుగ కథ", limit=5, seed=11)
    second = select_elements("festival", "children_story", "పండుగ కథ", limit=5, seed=11)
    assert [element.id for element in first] == [element.id for element in second]


def test_select_respects_limit():
    assert len(select_elements("traditional", "poem", "కవిత", limit=3)) == 3


def test_pick_names_fit_context_and_alternate_gender():
    names = pick_names("modern", 4, seed=5)
    assert len({entry.id for entry in names}) == 4
    assert all("modern" in entry.contexts for entry in names)
    assert [entry.gender for entry in names[:2]] in (["female", "male"], ["male", "female"])


def test_pick_names_is_reproducible():
    assert pick_names("rural", 3, seed="abc") == pick_names("rural", 3, seed="abc")


def test_pick_names_by_gender():
    assert all(entry.gender == "female" for entry in pick_names("traditional", 5, seed=1, gender="female"))


def test_pick_names_keeps_personages_in_their_context():
    names = pick_names("urban", 40, seed=2)
    assert all(not entry.personage for entry in names)


def test_pick_place_prefers_prompt_mention():
    assert pick_place("rural", seed=1, prompt="విశాఖపట్నంలో ఒక రోజు").id == "visakhapatnam"


def test_pick_place_fits_context():
    place = pick_place("urban", seed=3)
    assert place is not None
    assert "urban" in place.contexts
