"""PATCH /api/v2/stories/{id}: the owner renames a story or changes who may read it."""

from __future__ import annotations

import pytest

from stories.jobs import StoryListener
from stories.models import Story, StoryStatus
from tests.stories.support import assert_error, assert_field_error, make_story, make_version

KAI_NFC = "\u0c15\u0c48"
KAI_NFD = "\u0c15\u0c46\u0c56"

pytestmark = pytest.mark.django_db


def url(story) -> str:
    return f"/api/v2/stories/{story.pk}"


def assert_unchanged(story) -> None:
    before = (story.title, story.is_public, story.updated_at)
    story.refresh_from_db()
    assert (story.title, story.is_public, story.updated_at) == before


# Success


def test_owner_renames_story(owner, owner_client):
    story = make_story(owner, metadata={"title": "సీత పడవ", "word_count": 29})

    response = owner_client.patch(url(story), {"title": "గోదావరి పడవ"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "గోదావరి పడవ"
    assert response.json()["metadata"]["title"] == "గోదావరి పడవ"
    story.refresh_from_db()
    assert story.title == "గోదావరి పడవ"
    assert story.metadata == {"title": "గోదావరి పడవ", "word_count": 29}


def test_rename_trims_and_normalizes_title(owner, owner_client):
    story = make_story(owner)

    response = owner_client.patch(url(story), {"title": f"  {KAI_NFD}లాస యాత్ర \n"}, format="json")

    assert response.status_code == 200, response.content
    story.refresh_from_db()
    assert story.title == f"{KAI_NFC}లాస యాత్ర"


def test_rename_makes_new_title_searchable(owner, owner_client):
    story = make_story(owner, title="పాత పేరు", content="ఒక కథ.")

    owner_client.patch(url(story), {"title": "కొత్త పేరు"}, format="json")

    found = owner_client.get("/api/v2/stories", {"search": "కొత్త"}).json()
    assert [item["story_id"] for item in found["stories"]] == [str(story.pk)]
    assert owner_client.get("/api/v2/stories", {"search": "పాత"}).json()["total"] == 0


def test_rename_keeps_title_of_saved_versions(owner, owner_client):
    story = make_story(owner, title="మొదటి పేరు")
    version = make_version(story, 1)

    owner_client.patch(url(story), {"title": "రెండవ పేరు"}, format="json")

    version.refresh_from_db()
    assert version.title == "మొదటి పేరు"


def test_title_may_have_200_characters(owner, owner_client):
    story = make_story(owner)

    response = owner_client.patch(url(story), {"title": "క" * 200}, format="json")

    assert response.status_code == 200, response.content
    story.refresh_from_db()
    assert story.title == "క" * 200


@pytest.mark.parametrize("is_public", [True, False])
def test_owner_sets_visibility(owner, owner_client, is_public):
    story = make_story(owner, is_public=not is_public)

    response = owner_client.patch(url(story), {"is_public": is_public}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["is_public"] is is_public
    story.refresh_from_db()
    assert story.is_public is is_public


def test_publishing_lets_other_user_read(owner, owner_client, other_client):
    story = make_story(owner)

    owner_client.patch(url(story), {"is_public": True}, format="json")

    assert other_client.get(url(story)).status_code == 200


def test_owner_changes_both_fields_at_once(owner, owner_client):
    story = make_story(owner)

    response = owner_client.patch(url(story), {"title": "కొత్త పేరు", "is_public": True}, format="json")

    assert response.status_code == 200, response.content
    story.refresh_from_db()
    assert story.title == "కొత్త పేరు"
    assert story.is_public is True


def test_update_moves_updated_at(owner, owner_client):
    story = make_story(owner)
    before = story.updated_at

    owner_client.patch(url(story), {"is_public": True}, format="json")

    story.refresh_from_db()
    assert story.updated_at > before


# Running stories


@pytest.mark.parametrize("status", [StoryStatus.QUEUED, StoryStatus.RUNNING])
def test_owner_renames_unfinished_story(owner, owner_client, status):
    story = make_story(owner, status=status, title="", content="")

    response = owner_client.patch(url(story), {"title": "నా కథ"}, format="json")

    assert response.status_code == 200, response.content
    story.refresh_from_db()
    assert story.title == "నా కథ"
    assert story.status == status


def test_job_checkpoint_keeps_owners_title(owner, owner_client):
    story = make_story(owner, status=StoryStatus.RUNNING, title="", content="")
    owner_client.patch(url(story), {"title": "నా కథ"}, format="json")
    listener = StoryListener(str(story.pk))
    listener.text("మొదటి పేరా.")

    listener.checkpoint({"title": "ప్రణాళిక పేరు", "beats": []}, "మొదటి పేరా.")

    story.refresh_from_db()
    assert story.title == "నా కథ"
    assert story.content == "మొదటి పేరా."
    assert story.search_text == "నా కథ\nమొదటి పేరా."


def test_job_checkpoint_sets_planned_title_when_none_set(owner):
    story = make_story(owner, status=StoryStatus.RUNNING, title="", content="")
    listener = StoryListener(str(story.pk))
    listener.text("మొదటి పేరా.")

    listener.checkpoint({"title": "ప్రణాళిక పేరు", "beats": []}, "మొదటి పేరా.")

    story.refresh_from_db()
    assert story.title == "ప్రణాళిక పేరు"
    assert story.search_text == "ప్రణాళిక పేరు\nమొదటి పేరా."


# Errors


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   \n "}, "title"),
        ({"title": "క" * 201}, "title"),
        ({"title": 42}, "title"),
        ({"title": None}, "title"),
        ({"title": ["కథ"]}, "title"),
        ({"is_public": "true"}, "is_public"),
        ({"is_public": 1}, "is_public"),
        ({"is_public": None}, "is_public"),
        ({"content": "కొత్త కథ"}, "content"),
        ({"title": "కథ", "owner": 1}, "owner"),
        ({"version": 2}, "version"),
        ({}, "non_field_errors"),
    ],
)
def test_update_rejects_invalid_body(owner, owner_client, payload, field):
    story = make_story(owner)

    response = owner_client.patch(url(story), payload, format="json")

    assert_field_error(response, url(story), field)
    assert_unchanged(story)


def test_update_rejects_list_body(owner, owner_client):
    story = make_story(owner)

    response = owner_client.patch(url(story), [{"title": "కథ"}], format="json")

    assert_field_error(response, url(story), "non_field_errors")
    assert_unchanged(story)


def test_update_rejects_malformed_json(owner, owner_client):
    story = make_story(owner)

    response = owner_client.patch(url(story), data="{not json", content_type="application/json")

    assert_error(response, 400, url(story))
    assert_unchanged(story)


def test_unknown_field_error_lists_allowed_fields(owner, owner_client):
    story = make_story(owner)

    details = owner_client.patch(url(story), {"content": "కథ"}, format="json").json()["error"]["details"]

    assert details["content"] == ["Unknown field; allowed: is_public, title."]


def test_other_user_gets_403_for_public_story(owner, other_client):
    story = make_story(owner, is_public=True)

    error = assert_error(other_client.patch(url(story), {"title": "దొంగ పేరు"}, format="json"), 403, url(story))

    assert error["message"] == "Only the owner of this story may change it."
    assert_unchanged(story)


def test_other_user_gets_404_for_private_story(owner, other_client):
    story = make_story(owner)

    error = assert_error(other_client.patch(url(story), {"is_public": True}, format="json"), 404, url(story))

    assert error["message"] == "Story not found."
    assert_unchanged(story)


def test_staff_cannot_change_other_users_story(owner, staff_client):
    public = make_story(owner, is_public=True)
    private = make_story(owner)

    assert_error(staff_client.patch(url(public), {"title": "కథ"}, format="json"), 403, url(public))
    assert_error(staff_client.patch(url(private), {"title": "కథ"}, format="json"), 404, url(private))
    assert_unchanged(public)
    assert_unchanged(private)


def test_update_of_unknown_story_is_404(owner_client):
    path = "/api/v2/stories/00000000-0000-4000-8000-000000000000"

    assert_error(owner_client.patch(path, {"title": "కథ"}, format="json"), 404, path)


def test_anonymous_update_is_401(owner, anonymous_client):
    story = make_story(owner, is_public=True)

    assert_error(anonymous_client.patch(url(story), {"title": "కథ"}, format="json"), 401, url(story))
    assert_unchanged(story)


def test_put_is_not_allowed(owner, owner_client):
    story = make_story(owner)

    assert_error(owner_client.put(url(story), {"title": "కథ"}, format="json"), 405, url(story))
    assert Story.objects.get(pk=story.pk).title == story.title
