"""Sign-up, sign-in, sign-out, password change, preferences, profile and the language switch."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.services import record_story_result
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_signup_creates_account_and_signs_in(visitor):
    response = visitor.post(
        "/accounts/signup",
        {"email": "Sita@Example.com", "username": "సీత", "password": "godavari-kathalu-9"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/stories/new"
    user = User.objects.get(email="sita@example.com")
    assert user.username == "సీత"
    assert user.check_password("godavari-kathalu-9")
    assert user.get_preferences()["language_preference"] == "telugu"
    assert visitor.get("/stories").status_code == 200


def test_signup_shows_telugu_errors(visitor, owner):
    response = visitor.post("/accounts/signup", {"email": owner.email, "username": "ab", "password": "12345678"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "ఈ ఈమెయిల్ చిరునామాతో ఇప్పటికే ఒక ఖాతా ఉంది" in html
    assert "కనీసం 3 అక్షరాలు ఉండాలి" in html
    assert "ఈ పాస్‌వర్డ్‌లో అన్నీ అంకెలే ఉన్నాయి." in html
    assert User.objects.count() == 1


def test_signup_shows_english_errors_on_request(visitor):
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = visitor.post("/accounts/signup", {"email": "not-an-address", "username": "sita", "password": "short"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "Ensure this value has at least 8 characters (it has 5)." in html


def test_login_wrong_password_in_telugu(owner, visitor):
    wrong = visitor.post("/accounts/login", {"username": owner.email, "password": "wrong-password"})

    assert wrong.status_code == 400
    assert "ఈమెయిల్ చిరునామా గానీ పాస్‌వర్డ్ గానీ తప్పు" in wrong.content.decode()

    right = visitor.post("/accounts/login", {"username": owner.email, "password": PASSWORD})

    assert right.status_code == 302
    assert right["Location"] == "/stories"


def test_login_applies_stored_language(owner, visitor):
    owner.preferences = {**owner.get_preferences(), "language_preference": "english"}
    owner.save(update_fields=["preferences"])

    response = visitor.post("/accounts/login", {"username": owner.email, "password": PASSWORD, "next": "/stories"})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in visitor.get("/stories").content.decode()


def test_session_also_authenticates_the_api(owner, owner_browser):
    response = owner_browser.get("/api/v2/users/profile")

    assert response.status_code == 200
    assert response.json()["email"] == owner.email


def test_logout_needs_post_and_ends_session(owner_browser):
    assert owner_browser.get("/accounts/logout").status_code == 405

    response = owner_browser.post("/accounts/logout")

    assert response.status_code == 302
    assert owner_browser.get("/stories").status_code == 302


def test_password_change_checks_old_password(owner, owner_browser):
    wrong = owner_browser.post(
        "/accounts/password",
        {"old_password": "nope", "new_password1": "kotha-katha-2027", "new_password2": "kotha-katha-2027"},
    )

    assert wrong.status_code == 400
    assert "మీ పాత పాస్‌వర్డ్ తప్పుగా ఇచ్చారు" in wrong.content.decode()

    right = owner_browser.post(
        "/accounts/password",
        {"old_password": PASSWORD, "new_password1": "kotha-katha-2027", "new_password2": "kotha-katha-2027"},
    )

    assert right["Location"] == "/accounts/password/done"
    owner.refresh_from_db()
    assert owner.check_password("kotha-katha-2027")
    assert owner_browser.get("/stories").status_code == 200


def test_preferences_saves_api_shape(owner, owner_browser):
    owner.preferences = {**owner.get_preferences(), "notification_settings": {"weekly_digest": True}}
    owner.save(update_fields=["preferences"])

    response = owner_browser.post(
        "/accounts/preferences",
        {
            "preferred_story_types": ["folk_tale", "poem"],
            "cultural_contexts": ["rural"],
            "emotion_preferences": ["karuna", "adbhuta"],
            "language_preference": "english",
            "quality_threshold": "0.65",
            "story_completed": "on",
        },
    )

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    owner.refresh_from_db()
    assert owner.preferences == {
        "preferred_story_types": ["folk_tale", "poem"],
        "cultural_contexts": ["rural"],
        "emotion_preferences": ["karuna", "adbhuta"],
        "language_preference": "english",
        "quality_threshold": 0.65,
        "notification_settings": {"weekly_digest": True, "story_completed": True},
    }
    api = owner_browser.get("/api/v2/users/profile").json()
    assert api["preferences"] == owner.preferences


def test_preferences_reject_bad_values_in_telugu(owner, owner_browser):
    before = owner.get_preferences()

    response = owner_browser.post(
        "/accounts/preferences",
        {"preferred_story_types": ["epic"], "language_preference": "telugu", "quality_threshold": "1.5"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "సరైనదాన్ని ఎంచుకోండి. epic అందుబాటులో ఉన్న ఎంపికల్లో లేదు." in html
    assert "ఈ విలువ 1.0 లేదా అంతకంటే తక్కువ ఉండాలి." in html
    owner.refresh_from_db()
    assert owner.get_preferences() == before


def test_language_switch_persists_for_writer(owner, owner_browser):
    response = owner_browser.post("/accounts/language", {"language": "en", "next": "/stories"})

    assert response["Location"] == "/stories"
    owner.refresh_from_db()
    assert owner.get_preferences()["language_preference"] == "english"
    # A new browser of the same writer starts in English too.
    from tests.pages.conftest import session_client

    assert '<html lang="en">' in session_client(owner).get("/stories").content.decode()

    owner_browser.post("/accounts/language", {"language": "te", "next": "/stories"})
    owner.refresh_from_db()
    assert owner.get_preferences()["language_preference"] == "telugu"


def test_language_switch_for_visitor_uses_cookie(visitor):
    response = visitor.post("/accounts/language", {"language": "en", "next": "/accounts/login"})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in visitor.get("/accounts/login").content.decode()


def test_language_switch_ignores_foreign_redirect_and_unknown_language(owner, owner_browser):
    response = owner_browser.post("/accounts/language", {"language": "fr", "next": "https://example.com/"})

    assert response["Location"] == "/"
    owner.refresh_from_db()
    assert owner.get_preferences()["language_preference"] == "telugu"


def test_profile_shows_statistics_and_translated_achievements(owner, owner_browser):
    record_story_result(
        owner.pk,
        status="completed",
        story_type="folk_tale",
        cultural_context="rural",
        word_count=1200,
        quality_score=0.85,
        emotions=["karuna"],
        generation_seconds=90.0,
    )

    html = owner_browser.get("/accounts/profile").content.decode()

    assert "మొదటి కథ" in html
    assert "వెయ్యి పదాలు" in html
    assert "ఉన్నత నాణ్యత" in html
    assert "జానపద కథ" in html
    assert "కరుణ" in html
    assert "85%" in html
    # Not yet earned, listed with its rule.
    assert "పది కథలు" in html
    assert "10 కథలు పూర్తి చేయండి." in html
