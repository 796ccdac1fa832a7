"""POST /api/v2/auth/register."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from storyengine.api.errors import VALIDATION_MESSAGE
from tests.accounts.support import (
    AUTH_KEYS,
    DEFAULT_PREFERENCES,
    PROFILE_KEYS,
    PROFILE_URL,
    REGISTER_URL,
    error_of,
    registration,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

User = get_user_model()

# ై written as one code point (U+0C48) and as its canonical decomposition (U+0C46 U+0C56).
TELUGU_AI_COMPOSED = "\u0c24\u0c48\u0c32\u0c02"
TELUGU_AI_DECOMPOSED = "\u0c24\u0c46\u0c56\u0c32\u0c02"


def test_register_returns_tokens_and_profile(anonymous_client):
    response = anonymous_client.post(REGISTER_URL, registration(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == AUTH_KEYS
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert set(body["user"]) == PROFILE_KEYS
    assert body["user"]["email"] == "sita@example.com"
    assert body["user"]["username"] == "sita"
    assert body["user"]["preferences"] == DEFAULT_PREFERENCES
    assert datetime.fromisoformat(body["user"]["created_at"]).tzinfo is not None


def test_register_creates_user_with_hashed_password(anonymous_client):
    response = anonymous_client.post(REGISTER_URL, registration(), format="json")

    user = User.objects.get(email="sita@example.com")
    assert response.json()["user"]["id"] == user.pk
    assert user.username == "sita"
    assert user.password != "vennela-rathri-42"
    assert user.check_password("vennela-rathri-42")
    assert user.is_active
    assert not user.is_staff
    assert user.last_login is not None
    assert user.preferences == DEFAULT_PREFERENCES


def test_register_tokens_belong_to_new_user(anonymous_client):
    body = anonymous_client.post(REGISTER_URL, registration(), format="json").json()

    user = User.objects.get(email="sita@example.com")
    assert AccessToken(body["access_token"])["user_id"] == str(user.pk)
    assert RefreshToken(body["refresh_token"])["user_id"] == str(user.pk)


def test_register_access_token_opens_profile(anonymous_client):
    body = anonymous_client.post(REGISTER_URL, registration(), format="json").json()

    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    response = anonymous_client.get(PROFILE_URL)

    assert response.status_code == 200
    assert response.json()["email"] == "sita@example.com"


def test_register_stores_email_lower_cased(anonymous_client):
    response = anonymous_client.post(REGISTER_URL, registration(email="  Sita.Devi@Example.COM "), format="json")

    assert response.status_code == 201
    assert response.json()["user"]["email"] == "sita.devi@example.com"
    assert User.objects.filter(email="sita.devi@example.com").count() == 1


def test_register_rejects_taken_email(anonymous_client, owner):
    response = anonymous_client.post(REGISTER_URL, registration(email="lakshmi@example.com"), format="json")

    error = error_of(response, 400)
    assert error["message"] == VALIDATION_MESSAGE
    assert "already exists" in error["details"]["email"][0]
    assert set(error["details"]) == {"email"}
    assert User.objects.count() == 1


def test_register_rejects_taken_email_in_other_case(anonymous_client, owner):
    response = anonymous_client.post(REGISTER_URL, registration(email="LAKSHMI@Example.com"), format="json")

    error = error_of(response, 400)
    assert "already exists" in error["details"]["email"][0]
    assert User.objects.filter(email__iexact="lakshmi@example.com").count() == 1


def test_register_rejects_taken_email_in_other_normal_form(anonymous_client):
    composed = f"writer@{TELUGU_AI_COMPOSED}.in"
    decomposed = f"writer@{TELUGU_AI_DECOMPOSED}.in"

    first = anonymous_client.post(REGISTER_URL, registration(email=decomposed), format="json")
    second = anonymous_client.post(REGISTER_URL, registration(email=composed, username="rama"), format="json")

    assert first.status_code == 201
    assert first.json()["user"]["email"] == composed
    error = error_of(second, 400)
    assert "email" in error["details"]
    assert User.objects.count() == 1


def test_register_allows_username_another_user_has(anonymous_client, owner):
    response = anonymous_client.post(REGISTER_URL, registration(username="lakshmi"), format="json")

    assert response.status_code == 201
    assert User.objects.filter(username="lakshmi").count() == 2


def test_register_accepts_telugu_username_in_nfc(anonymous_client):
    response = anonymous_client.post(REGISTER_URL, registration(username=TELUGU_AI_DECOMPOSED), format="json")

    assert response.status_code == 201
    assert response.json()["user"]["username"] == TELUGU_AI_COMPOSED
    assert User.objects.get(email="sita@example.com").username == TELUGU_AI_COMPOSED


def test_register_returns_telugu_unescaped(anonymous_client):
    response = anonymous_client.post(REGISTER_URL, registration(username=TELUGU_AI_COMPOSED), format="json")

    assert TELUGU_AI_COMPOSED.encode() in response.content
    assert b"\\u0c" not in response.content


@pytest.mark.parametrize("length", [3, 50])
def test_register_accepts_username_length_at_limits(anonymous_client, length):
    response = anonymous_client.post(REGISTER_URL, registration(username="క" * length), format="json")

    assert response.status_code == 201
    assert len(User.objects.get().username) == length


def test_register_trims_username(anonymous_client):
    response = anonymous_client.post(REGISTER_URL, registration(username="  sita  "), format="json")

    assert response.status_code == 201
    assert User.objects.get().username == "sita"


@pytest.mark.parametrize("field", ["email", "username", "password"])
def test_register_rejects_missing_field(anonymous_client, field):
    body = registration()
    del body[field]

    error = error_of(anonymous_client.post(REGISTER_URL, body, format="json"), 400)

    assert error["message"] == VALIDATION_MESSAGE
    assert len(error["details"][field]) == 1
    assert not User.objects.exists()


def test_register_reports_messages_in_english(anonymous_client):
    body = registration()
    del body["email"]

    error = error_of(anonymous_client.post(REGISTER_URL, body, format="json"), 400)

    assert error["details"]["email"] == ["This field is required."]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", 12345),
        ("email", ["sita@example.com"]),
        ("email", None),
        ("username", ["sita"]),
        ("username", 12345),
        ("username", True),
        ("password", 1234567890),
        ("password", {"value": "vennela-rathri-42"}),
        ("preferences", "telugu"),
        ("preferences", ["telugu"]),
    ],
)
def test_register_rejects_wrong_type(anonymous_client, field, value):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(**{field: value}), format="json"), 400)

    assert any(key == field or key.startswith(f"{field}.") for key in error["details"])
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["sita", "sita@", "@example.com", "sita@@example.com", "sita @example.com", ""])
def test_register_rejects_invalid_email(anonymous_client, email):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(email=email), format="json"), 400)

    assert "email" in error["details"]
    assert not User.objects.exists()


def long_email(length: int) -> str:
    """Return a well-formed address of the given length (at least 198 characters)."""
    return "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * (length - 197) + ".com"


def test_register_accepts_email_of_maximum_length(anonymous_client):
    response = anonymous_client.post(REGISTER_URL, registration(email=long_email(254)), format="json")

    assert response.status_code == 201
    assert len(User.objects.get().email) == 254


def test_register_rejects_too_long_email(anonymous_client):
    email = long_email(255)

    error = error_of(anonymous_client.post(REGISTER_URL, registration(email=email), format="json"), 400)

    assert "email" in error["details"]
    assert not User.objects.exists()


@pytest.mark.parametrize("username", ["ab", "కథ", "   ", ""])
def test_register_rejects_too_short_username(anonymous_client, username):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(username=username), format="json"), 400)

    assert "username" in error["details"]
    assert not User.objects.exists()


def test_register_rejects_too_long_username(anonymous_client):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(username="a" * 51), format="json"), 400)

    assert error["details"]["username"] == ["Ensure this field has no more than 50 characters."]
    assert not User.objects.exists()


def test_register_rejects_username_with_control_character(anonymous_client):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(username="si\tta"), format="json"), 400)

    assert "control characters" in error["details"]["username"][0]


def test_register_rejects_too_short_password(anonymous_client):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(password="v3nnela"), format="json"), 400)

    assert error["details"]["password"] == ["Ensure this field has at least 8 characters."]
    assert not User.objects.exists()


def test_register_rejects_too_long_password(anonymous_client):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(password="v" * 129), format="json"), 400)

    assert error["details"]["password"] == ["Ensure this field has no more than 128 characters."]


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("password123", "too common"),
        ("4815162342", "entirely numeric"),
        ("sita@example.com", "too similar"),
    ],
)
def test_register_rejects_weak_password(anonymous_client, password, fragment):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(password=password), format="json"), 400)

    assert any(fragment in message for message in error["details"]["password"])
    assert not User.objects.exists()


def test_register_reports_every_invalid_field_at_once(anonymous_client):
    body = {"email": "sita", "username": "ab", "password": "1234"}

    error = error_of(anonymous_client.post(REGISTER_URL, body, format="json"), 400)

    assert set(error["details"]) == {"email", "username", "password"}


def test_register_keeps_password_whitespace(anonymous_client):
    anonymous_client.post(REGISTER_URL, registration(password=" vennela-rathri-42 "), format="json")

    user = User.objects.get()
    assert user.check_password(" vennela-rathri-42 ")
    assert not user.check_password("vennela-rathri-42")


def test_register_stores_given_preferences_over_defaults(anonymous_client):
    preferences = {"preferred_story_types": ["folk_tale", "moral_story"], "quality_threshold": 0.65}

    response = anonymous_client.post(REGISTER_URL, registration(preferences=preferences), format="json")

    expected = {**DEFAULT_PREFERENCES, **preferences}
    assert response.status_code == 201
    assert response.json()["user"]["preferences"] == expected
    assert User.objects.get().preferences == expected


def test_register_removes_duplicate_preference_values(anonymous_client):
    preferences = {"emotion_preferences": ["karuna", "hasya", "karuna"]}

    anonymous_client.post(REGISTER_URL, registration(preferences=preferences), format="json")

    assert User.objects.get().preferences["emotion_preferences"] == ["karuna", "hasya"]


@pytest.mark.parametrize(
    ("preferences", "detail_key"),
    [
        ({"colour": "blue"}, "preferences.colour"),
        ({"quality_threshold": 1.5}, "preferences.quality_threshold"),
        ({"quality_threshold": -0.1}, "preferences.quality_threshold"),
        ({"quality_threshold": "high"}, "preferences.quality_threshold"),
        ({"language_preference": "hindi"}, "preferences.language_preference"),
        ({"preferred_story_types": "folk_tale"}, "preferences.preferred_story_types"),
        ({"preferred_story_types": ["folk_tale", "Folk Tale"]}, "preferences.preferred_story_types.1"),
        ({"cultural_contexts": [42]}, "preferences.cultural_contexts.0"),
        ({"emotion_preferences": ["x" * 51]}, "preferences.emotion_preferences.0"),
        ({"emotion_preferences": ["karuna"] * 21}, "preferences.emotion_preferences"),
        ({"notification_settings": ["email"]}, "preferences.notification_settings"),
        (
            {"notification_settings": {"story_completed": "sometimes"}},
            "preferences.notification_settings.story_completed",
        ),
    ],
)
def test_register_rejects_invalid_preferences(anonymous_client, preferences, detail_key):
    error = error_of(anonymous_client.post(REGISTER_URL, registration(preferences=preferences), format="json"), 400)

    assert detail_key in error["details"]
    assert not User.objects.exists()


def test_register_rejects_body_that_is_not_an_object(anonymous_client):
    error = error_of(anonymous_client.post(REGISTER_URL, [registration()], format="json"), 400)

    assert error["message"] == VALIDATION_MESSAGE
    assert "non_field_errors" in error["details"]


def test_register_ignores_stale_authorization_header(anonymous_client):
    anonymous_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = anonymous_client.post(REGISTER_URL, registration(), format="json")

    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_register_concurrent_same_email_creates_one():
    barrier = threading.Barrier(4)
    responses = []

    def register(email: str) -> None:
        try:
            client = APIClient()
            barrier.wait()
            responses.append(client.post(REGISTER_URL, registration(email=email), format="json"))
        finally:
            connection.close()

    emails = ["sita@example.com", "Sita@example.com", "SITA@example.com", "sita@EXAMPLE.com"]
    threads = [threading.Thread(target=register, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(response.status_code for response in responses) == [201, 400, 400, 400]
    assert all("email" in response.json()["error"]["details"] for response in responses if response.status_code == 400)
    assert User.objects.count() == 1
