"""The library: the writer's own stories with Telugu search, filters, sort and pages."""

from __future__ import annotations

import pytest

from tests.stories.support import make_story

pytestmark = pytest.mark.django_db


def test_library_lists_only_own_stories(owner, other, owner_browser):
    mine = make_story(owner, title="సీత పడవ")
    make_story(other, title="రవి గుర్రం", is_public=True)

    html = owner_browser.get("/stories").content.decode()

    assert f'href="/stories/{mine.pk}"' in html
    assert "రవి గుర్రం" not in html
    assert "1 కథ" in html


def test_library_card_shows_excerpt_type_quality_and_status(owner, owner_browser):
    story = make_story(owner, content="అ" * 10 + " " + "ఆ" * 200, story_type="folk_tale", quality_score=0.734)

    html = owner_browser.get("/stories").content.decode()

    # The excerpt drops the word that does not fit whole and ends in an ellipsis.
    assert '<p class="story-card__excerpt" lang="te">' + "అ" * 10 + "…</p>" in html
    assert "జానపద కథ" in html
    assert "నాణ్యత 73%" in html
    assert "పూర్తయింది" in html
    assert story.created_at.strftime("%Y") in html


def test_library_search_matches_telugu_with_or_without_joiner(owner, owner_browser):
    found = make_story(owner, title="రామ్‌కుమార్ కథ")
    make_story(owner, title="సీత పడవ")

    html = owner_browser.get("/stories", {"search": "రామ్కుమార్"}).content.decode()

    assert f'href="/stories/{found.pk}"' in html
    assert "సీత పడవ" not in html


def test_library_filters_and_sorts(owner, owner_browser):
    low = make_story(owner, minutes=1, title="తక్కువ", story_type="poem", quality_score=0.2)
    high = make_story(owner, minutes=2, title="ఎక్కువ", story_type="poem", quality_score=0.9)
    make_story(owner, minutes=3, title="వేరే రకం", story_type="folk_tale", quality_score=0.5)

    html = owner_browser.get("/stories", {"story_type": "poem", "sort_by": "quality_asc"}).content.decode()

    assert "వేరే రకం" not in html
    assert html.index(f"/stories/{low.pk}") < html.index(f"/stories/{high.pk}")


def test_library_pages_keep_filters(owner, owner_browser):
    for minute in range(14):
        make_story(owner, minutes=minute, title=f"కథ {minute}", story_type="poem")

    first = owner_browser.get("/stories", {"story_type": "poem"}).content.decode()
    second = owner_browser.get("/stories", {"story_type": "poem", "page": "2"}).content.decode()

    assert "పేజీ 1 / 2" in first
    assert 'href="?story_type=poem&amp;sort_by=created_desc&amp;page=2"' in first
    assert second.count('class="story-card"') == 2


def test_library_invalid_query_falls_back_to_defaults(owner, owner_browser):
    make_story(owner)

    response = owner_browser.get("/stories", {"page": "abc", "sort_by": "random", "story_type": "epic"})

    assert response.status_code == 200
    assert response.content.decode().count('class="story-card"') == 1


def test_library_empty_states(owner, owner_browser):
    empty = owner_browser.get("/stories").content.decode()
    assert "మీ గ్రంథాలయం ఖాళీగా ఉంది" in empty
    assert 'href="/stories/new"' in empty

    make_story(owner)
    no_match = owner_browser.get("/stories", {"search": "ఏనుగు"}).content.decode()
    assert "సరిపోయే కథ లేదు" in no_match
