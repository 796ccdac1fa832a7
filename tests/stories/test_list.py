"""GET /api/v2/stories: the signed-in user's stories, paged, filtered, sorted and searched."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import pytest
from django.db import connection
from rest_framework.test import APIClient

from analysis.text import graphemes
from stories.models import Story, StoryStatus
from tests.stories.support import make_story

URL = "/api/v2/stories"
ITEM_KEYS = {
    "story_id",
    "title",
    "excerpt",
    "story_type",
    "cultural_context",
    "status",
    "quality_score",
    "word_count",
    "is_public",
    "created_at",
}

# "కై" in its two canonically equivalent spellings.
KAI_NFC = "\u0c15\u0c48"
KAI_NFD = "\u0c15\u0c46\u0c56"
RAMKUMAR = "రామ్\u200cకుమార్"

pytestmark = pytest.mark.django_db


def listed_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["story_id"] for item in response.json()["stories"]]


def assert_bad_parameter(response, name: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert set(error) == {"message", "details", "timestamp", "path"}
    assert error["path"] == URL
    assert list(error["details"]) == [name]


# Envelope and ownership


def test_list_returns_envelope_and_item_fields(owner, owner_client):
    story = make_story(owner, title="సీత పడవ", story_type="folk_tale", cultural_context="rural", is_public=True)

    response = owner_client.get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"stories", "total", "page", "limit", "total_pages"}
    assert body["total"] == 1
    assert body["page"] == 1
    assert body["limit"] == 20
    assert body["total_pages"] == 1
    item = body["stories"][0]
    assert set(item) == ITEM_KEYS
    assert item["story_id"] == str(story.pk)
    assert item["title"] == "సీత పడవ"
    assert item["story_type"] == "folk_tale"
    assert item["cultural_context"] == "rural"
    assert item["status"] == "completed"
    assert item["quality_score"] == 0.5
    assert item["word_count"] == story.word_count
    assert item["is_public"] is True
    assert datetime.fromisoformat(item["created_at"]) == story.created_at


def test_list_writes_telugu_as_characters(owner, owner_client):
    make_story(owner, title="సీత పడవ")

    response = owner_client.get(URL)

    assert "సీత పడవ".encode() in response.content
    assert b"\\u0c" not in response.content


def test_list_shows_only_own_stories(owner, other, owner_client):
    mine = make_story(owner)
    make_story(other, is_public=True)
    make_story(other)

    assert listed_ids(owner_client.get(URL)) == [str(mine.pk)]


def test_list_gives_staff_only_their_own_stories(owner, staff, staff_client):
    make_story(owner, is_public=True)
    own = make_story(staff)

    assert listed_ids(staff_client.get(URL)) == [str(own.pk)]


def test_list_of_user_without_stories_is_empty(other, owner, other_client):
    make_story(owner)

    body = other_client.get(URL).json()

    assert body["stories"] == []
    assert body["total"] == 0
    assert body["total_pages"] == 0


def test_list_requires_authentication(anonymous_client):
    response = anonymous_client.get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["path"] == URL


def test_list_includes_unfinished_stories(owner, owner_client):
    queued = make_story(owner, status=StoryStatus.QUEUED, title="", content="", quality_score=None)

    item = owner_client.get(URL).json()["stories"][0]

    assert item["story_id"] == str(queued.pk)
    assert item["status"] == "queued"
    assert item["excerpt"] == ""
    assert item["quality_score"] is None


# Excerpts


def test_excerpt_keeps_short_content_whole(owner, owner_client):
    make_story(owner, content="సీత పడవ ఎక్కింది.")

    assert owner_client.get(URL).json()["stories"][0]["excerpt"] == "సీత పడవ ఎక్కింది."


def test_excerpt_cuts_long_content_after_whole_word(owner, owner_client):
    content = " ".join(["క్షమ"] * 60)
    make_story(owner, content=content)

    excerpt = owner_client.get(URL).json()["stories"][0]["excerpt"]

    assert len(excerpt) <= 160
    assert excerpt.endswith("…")
    body = excerpt[:-1]
    assert content.startswith(body)
    assert body.endswith("క్షమ")
    assert content[len(body)] == " "


def test_excerpt_cuts_long_word_on_grapheme_boundary(owner, owner_client):
    content = "క్షమ" * 60
    make_story(owner, content=content)

    excerpt = owner_client.get(URL).json()["stories"][0]["excerpt"]

    assert len(excerpt) <= 160
    assert excerpt.endswith("…")
    body = excerpt[:-1]
    clusters = graphemes(body)
    assert clusters == graphemes(content)[: len(clusters)]
    assert not body.endswith("\u0c4d")


def test_excerpt_joins_paragraphs_into_one_line(owner, owner_client):
    make_story(owner, content="మొదటి పేరా.\n\nరెండవ   పేరా.")

    assert owner_client.get(URL).json()["stories"][0]["excerpt"] == "మొదటి పేరా. రెండవ పేరా."


def test_excerpt_drops_joiner_left_at_cut(owner, owner_client):
    content = RAMKUMAR * 20
    make_story(owner, content=content)

    excerpt = owner_client.get(URL).json()["stories"][0]["excerpt"]

    body = excerpt[:-1]
    assert excerpt.endswith("…")
    assert len(excerpt) <= 160
    assert not body.endswith("\u200c")
    assert content.startswith(body + "\u200c")


# Pagination


def test_list_pages_through_stories_without_overlap(owner, owner_client):
    stories = [make_story(owner, minutes=index) for index in range(25)]
    newest_first = [str(story.pk) for story in reversed(stories)]

    first = owner_client.get(URL).json()
    second = owner_client.get(URL, {"page": 2}).json()

    assert [item["story_id"] for item in first["stories"]] == newest_first[:20]
    assert [item["story_id"] for item in second["stories"]] == newest_first[20:]
    assert first["total"] == second["total"] == 25
    assert first["total_pages"] == second["total_pages"] == 2
    assert second["page"] == 2


@pytest.mark.parametrize(("limit", "pages"), [(1, 7), (3, 3), (7, 1), (100, 1)])
def test_list_counts_pages_for_limit(owner, owner_client, limit, pages):
    for index in range(7):
        make_story(owner, minutes=index)

    body = owner_client.get(URL, {"limit": limit}).json()

    assert body["limit"] == limit
    assert body["total_pages"] == pages
    assert len(body["stories"]) == min(limit, 7)


def test_list_page_past_end_is_empty_with_total(owner, owner_client):
    for index in range(3):
        make_story(owner, minutes=index)

    body = owner_client.get(URL, {"page": 5, "limit": 2}).json()

    assert body["stories"] == []
    assert body["total"] == 3
    assert body["page"] == 5
    assert body["total_pages"] == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "0"),
        ("page", "-1"),
        ("page", "abc"),
        ("page", "1.5"),
        ("page", "1.0"),
        ("page", " 1"),
        ("page", ""),
        ("page", "99999999999999999999999"),
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "ten"),
        ("limit", ""),
        ("story_type", "novel"),
        ("story_type", ""),
        ("story_type", "Folk_Tale"),
        ("cultural_context", "martian"),
        ("sort_by", "newest"),
        ("sort_by", ""),
        ("search", "క" * 201),
    ],
)
def test_list_rejects_invalid_parameter(owner_client, name, value):
    response = owner_client.get(URL, {name: value})

    assert_bad_parameter(response, name)


def test_list_error_message_names_value(owner_client):
    details = owner_client.get(URL, {"page": "abc"}).json()["error"]["details"]

    assert details["page"] == ["Expected an integer such as 1, got 'abc'."]


def test_list_ignores_unknown_parameters(owner, owner_client):
    story = make_story(owner)

    assert listed_ids(owner_client.get(URL, {"_": "1700000000", "owner": "someone"})) == [str(story.pk)]


# Filters


def test_list_filters_by_story_type(owner, owner_client):
    folk = make_story(owner, story_type="folk_tale")
    make_story(owner, story_type="poem")

    body = owner_client.get(URL, {"story_type": "folk_tale"}).json()

    assert [item["story_id"] for item in body["stories"]] == [str(folk.pk)]
    assert body["total"] == 1


def test_list_filters_by_cultural_context(owner, owner_client):
    make_story(owner, cultural_context="urban")
    rural = make_story(owner, cultural_context="rural")

    assert listed_ids(owner_client.get(URL, {"cultural_context": "rural"})) == [str(rural.pk)]


def test_list_combines_filters(owner, owner_client):
    match = make_story(owner, story_type="folk_tale", cultural_context="rural")
    make_story(owner, story_type="folk_tale", cultural_context="urban")
    make_story(owner, story_type="poem", cultural_context="rural")

    response = owner_client.get(URL, {"story_type": "folk_tale", "cultural_context": "rural"})

    assert listed_ids(response) == [str(match.pk)]


# Sorting


def test_list_sorts_newest_first_by_default(owner, owner_client):
    old = make_story(owner, minutes=0)
    new = make_story(owner, minutes=10)

    assert listed_ids(owner_client.get(URL)) == [str(new.pk), str(old.pk)]
    assert listed_ids(owner_client.get(URL, {"sort_by": "created_desc"})) == [str(new.pk), str(old.pk)]


def test_list_sorts_oldest_first(owner, owner_client):
    old = make_story(owner, minutes=0)
    new = make_story(owner, minutes=10)

    assert listed_ids(owner_client.get(URL, {"sort_by": "created_asc"})) == [str(old.pk), str(new.pk)]


def test_list_sorts_by_quality_with_unscored_last(owner, owner_client):
    unscored = make_story(owner, minutes=0, quality_score=None)
    low = make_story(owner, minutes=1, quality_score=0.2)
    high = make_story(owner, minutes=2, quality_score=0.9)

    descending = listed_ids(owner_client.get(URL, {"sort_by": "quality_desc"}))
    ascending = listed_ids(owner_client.get(URL, {"sort_by": "quality_asc"}))

    assert descending == [str(high.pk), str(low.pk), str(unscored.pk)]
    assert ascending == [str(low.pk), str(high.pk), str(unscored.pk)]


def test_list_breaks_ties_by_id_across_pages(owner, owner_client):
    stories = [make_story(owner, minutes=0, quality_score=0.5) for _ in range(6)]
    by_id = sorted(str(story.pk) for story in stories)

    for sort_by, expected in [("quality_asc", by_id), ("quality_desc", by_id[::-1]), ("created_asc", by_id)]:
        pages = [owner_client.get(URL, {"sort_by": sort_by, "limit": 2, "page": page}) for page in (1, 2, 3)]
        assert [story_id for page in pages for story_id in listed_ids(page)] == expected, sort_by


# Search


def test_search_finds_title_and_content(owner, owner_client):
    by_title = make_story(owner, minutes=0, title="వెన్నెల రాత్రి", content="ఒక కథ.")
    by_content = make_story(owner, minutes=1, title="పడవ", content="ఆ రాత్రి వెన్నెల కాసింది.")
    make_story(owner, minutes=2, title="పడవ", content="ఎండ కాసింది.")

    assert listed_ids(owner_client.get(URL, {"search": "వెన్నెల"})) == [str(by_content.pk), str(by_title.pk)]


def test_search_finds_decomposed_text_with_composed_query(owner, owner_client):
    story = make_story(owner, content=f"ఆమె {KAI_NFD}లాసం వెళ్ళింది.")

    assert listed_ids(owner_client.get(URL, {"search": KAI_NFC})) == [str(story.pk)]


def test_search_finds_composed_text_with_decomposed_query(owner, owner_client):
    story = make_story(owner, content=f"ఆమె {KAI_NFC}లాసం వెళ్ళింది.")

    assert listed_ids(owner_client.get(URL, {"search": KAI_NFD})) == [str(story.pk)]


def test_search_finds_decomposed_title(owner, owner_client):
    story = make_story(owner, title=f"{KAI_NFD}లాస యాత్ర", content="ఒక కథ.")

    assert listed_ids(owner_client.get(URL, {"search": f"{KAI_NFC}లాస"})) == [str(story.pk)]
    assert listed_ids(owner_client.get(URL, {"search": f"{KAI_NFD}లాస"})) == [str(story.pk)]


def test_search_finds_word_with_zwnj(owner, owner_client):
    story = make_story(owner, content=f"{RAMKUMAR} బడికి వెళ్ళాడు.")

    assert listed_ids(owner_client.get(URL, {"search": RAMKUMAR})) == [str(story.pk)]


def test_search_ignores_zwnj_on_either_side(owner, owner_client):
    with_joiner = make_story(owner, minutes=0, content=f"{RAMKUMAR} బడికి వెళ్ళాడు.")
    without_joiner = make_story(owner, minutes=1, content="రామ్కుమార్ ఇంటికి వచ్చాడు.")
    expected = [str(without_joiner.pk), str(with_joiner.pk)]

    assert listed_ids(owner_client.get(URL, {"search": RAMKUMAR})) == expected
    assert listed_ids(owner_client.get(URL, {"search": "రామ్కుమార్"})) == expected


def test_search_keeps_zwnj_in_stored_text(owner, owner_client):
    story = make_story(owner, title=RAMKUMAR, content=f"{RAMKUMAR} బడికి వెళ్ళాడు.")

    item = owner_client.get(URL, {"search": RAMKUMAR}).json()["stories"][0]

    assert item["title"] == RAMKUMAR
    assert item["excerpt"].startswith(RAMKUMAR)
    story.refresh_from_db()
    assert "\u200c" in story.content


def test_search_ignores_case_of_latin_letters(owner, owner_client):
    story = make_story(owner, content="సీత Hyderabad వెళ్ళింది.")

    assert listed_ids(owner_client.get(URL, {"search": "HYDERABAD"})) == [str(story.pk)]
    assert listed_ids(owner_client.get(URL, {"search": "hyderabad"})) == [str(story.pk)]


def test_search_treats_like_wildcards_literally(owner, owner_client):
    percent = make_story(owner, minutes=0, content="వంద % నిజం.")
    make_story(owner, minutes=1, content="ఒక కథ.")

    assert listed_ids(owner_client.get(URL, {"search": "%"})) == [str(percent.pk)]
    assert listed_ids(owner_client.get(URL, {"search": "_"})) == []


def test_search_without_match_is_empty(owner, owner_client):
    make_story(owner)

    body = owner_client.get(URL, {"search": "ఏనుగు"}).json()

    assert body["stories"] == []
    assert body["total"] == 0


def test_blank_search_lists_everything(owner, owner_client):
    make_story(owner, minutes=0)
    make_story(owner, minutes=1)

    assert owner_client.get(URL, {"search": "   "}).json()["total"] == 2
    assert owner_client.get(URL, {"search": ""}).json()["total"] == 2


def test_search_skips_other_users_stories(owner, other, owner_client):
    make_story(other, content="వెన్నెల రాత్రి.", is_public=True)

    assert owner_client.get(URL, {"search": "వెన్నెల"}).json()["total"] == 0


def test_search_combines_with_filters_and_paging(owner, owner_client):
    for index in range(5):
        make_story(owner, minutes=index, story_type="folk_tale", content=f"వెన్నెల కథ {index}.")
    make_story(owner, minutes=9, story_type="poem", content="వెన్నెల పాట.")

    body = owner_client.get(URL, {"search": "వెన్నెల", "story_type": "folk_tale", "limit": 2, "page": 3}).json()

    assert body["total"] == 5
    assert body["total_pages"] == 3
    assert len(body["stories"]) == 1


def test_search_follows_title_change(owner, owner_client):
    story = make_story(owner, title="పాత పేరు", content="ఒక కథ.")

    story.title = "కొత్త పేరు"
    story.save(update_fields=["title"])

    assert listed_ids(owner_client.get(URL, {"search": "కొత్త"})) == [str(story.pk)]
    assert owner_client.get(URL, {"search": "పాత"}).json()["total"] == 0


def test_search_text_is_nfc_casefolded_without_joiners(owner):
    story = make_story(owner, title="Sita", content=f"{KAI_NFD}లాసం {RAMKUMAR}")

    story.refresh_from_db()

    assert story.search_text == f"sita\n{KAI_NFC}లాసం రామ్కుమార్"
    assert unicodedata.is_normalized("NFC", story.search_text)


# Queries


@pytest.mark.parametrize("count", [3, 30])
def test_list_runs_two_queries_whatever_page_size(owner, django_assert_num_queries, count):
    for index in range(count):
        make_story(owner, minutes=index)
    client = APIClient()
    client.force_authenticate(owner)

    with django_assert_num_queries(2):
        response = client.get(URL, {"limit": 100, "search": "సీత"})

    assert len(response.json()["stories"]) == count


def test_list_past_end_runs_only_count_query(owner, django_assert_num_queries):
    make_story(owner)
    client = APIClient()
    client.force_authenticate(owner)

    with django_assert_num_queries(1):
        response = client.get(URL, {"page": 2})

    assert response.json()["stories"] == []


def test_list_loads_only_start_of_content(owner, django_assert_num_queries):
    make_story(owner, content="కథ " * 5000)
    client = APIClient()
    client.force_authenticate(owner)

    with django_assert_num_queries(2) as captured:
        client.get(URL)

    page_sql = captured.captured_queries[1]["sql"]
    assert "SUBSTR" in page_sql.upper()
    assert page_sql.count('"stories_story"."content"') == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists only on PostgreSQL")
def test_search_uses_trigram_index_on_postgresql(owner):
    for index in range(50):
        make_story(owner, minutes=index, content=f"కథ సంఖ్య {index}.")
    query = Story.objects.filter(search_text__contains="సంఖ్య 4").order_by().values("id")

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()

    assert "stories_story_search_trgm" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists only on PostgreSQL")
def test_trigram_index_exists_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'stories_story_search_trgm'")
        (definition,) = cursor.fetchone()

    assert "gin" in definition
    assert "gin_trgm_ops" in definition
