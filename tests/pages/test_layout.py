"""Every page renders in Telugu by default and in English on request, and needs a session."""

from __future__ import annotations

import pytest
from tests.stories.support import make_story, make_version

pytestmark = pytest.mark.django_db

TELUGU_NAV = "నా కథలు"
ENGLISH_NAV = "My stories"


def _page_paths(story) -> list[str]:
    return [
        "/stories",
        "/stories/new",
        f"/stories/{story.pk}",
        f"/stories/{story.pk}/compare?before=1&after=2",
        f"/stories/{story.pk}/delete",
        "/accounts/preferences",
        "/accounts/profile",
        "/accounts/password",
    ]


def test_pages_render_in_telugu_by_default(owner, owner_browser):
    story = make_story(owner)
    make_version(story, 1)
    make_version(story, 2, content=story.content + " కొత్త ముగింపు.")

    for path in _page_paths(story):
        response = owner_browser.get(path)

        assert response.status_code == 200, path
        html = response.content.decode()
        assert '<html lang="te">' in html, path
        assert TELUGU_NAV in html, path
        assert ENGLISH_NAV not in html, path


def test_pages_render_in_english_from_the_preference(owner, owner_browser):
    owner.preferences = {**owner.get_preferences(), "language_preference": "english"}
    owner.save(update_fields=["preferences"])
    story = make_story(owner)
    make_version(story, 1)
    make_version(story, 2, content=story.content + " కొత్త ముగింపు.")

    for path in _page_paths(story):
        response = owner_browser.get(path)

        assert response.status_code == 200, path
        html = response.content.decode()
        assert '<html lang="en">' in html, path
        assert ENGLISH_NAV in html, path
        assert TELUGU_NAV not in html, path


def test_story_text_keeps_telugu_lang_on_english_page(owner, owner_browser):
    owner.preferences = {**owner.get_preferences(), "language_preference": "english"}
    owner.save(update_fields=["preferences"])
    story = make_story(owner)

    html = owner_browser.get(f"/stories/{story.pk}").content.decode()

    assert '<h1 id="story-title" lang="te">సీత పడవ</h1>' in html
    assert '<div class="story__text" lang="te">' in html


def test_accept_language_does_not_switch_to_english(visitor):
    response = visitor.get("/accounts/login", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert '<html lang="te">' in response.content.decode()
    assert response["Content-Language"] == "te"


def test_pages_need_a_session(owner, visitor):
    story = make_story(owner)

    for path in ["/stories", "/stories/new", f"/stories/{story.pk}", "/accounts/profile", "/accounts/preferences"]:
        response = visitor.get(path)

        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/login?next={path}", path


def test_home_sends_writers_to_library(owner_browser, visitor):
    assert owner_browser.get("/")["Location"] == "/stories"
    welcome = visitor.get("/")
    assert welcome.status_code == 200
    assert "ఖాతా తెరవండి" in welcome.content.decode()


def test_font_is_served_from_this_site(visitor):
    from django.contrib.staticfiles import finders

    html = visitor.get("/accounts/login").content.decode()

    assert 'href="/static/fonts/NotoSansTelugu.ttf"' in html
    found = finders.find("fonts/NotoSansTelugu.ttf")
    assert found and found.endswith(".ttf")
    with open(found, "rb") as font:
        assert font.read(4) == b"\x00\x01\x00\x00"


def test_unknown_page_is_a_translated_404(owner_browser):
    response = owner_browser.get("/stories/00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404
    assert "పేజీ కనబడలేదు" in response.content.decode()


def test_admin_stays_english(staff):
    from tests.pages.conftest import session_client

    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])

    response = session_client(staff).get("/admin/")

    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
