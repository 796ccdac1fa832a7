"""PUT /api/v2/users/preferences."""

from __future__ import annotations

import pytest

from storyengine.api.errors import VALIDATION_MESSAGE
from tests.accounts.support import DEFAULT_PREFERENCES, PREFERENCES_URL, PROFILE_URL, error_of, expired_access_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

FULL_PREFERENCES = {
    "preferred_story_types": ["folk_tale", "poem"],
    "cultural_contexts": ["rural", "festival"],
    "emotion_preferences": ["karuna", "adbhuta"],
    "language_preference": "english",
    "quality_threshold": 0.9,
    "notification_settings": {"story_completed": True, "weekly_digest": False},
}


def test_preferences_stores_and_returns_values(owner_client, owner):
    response = owner_client.put(PREFERENCES_URL, FULL_PREFERENCES, format="json")

    assert response.status_code == 200
    assert response.json() == FULL_PREFERENCES
    owner.refresh_from_db()
    assert owner.preferences == FULL_PREFERENCES


def test_preferences_appear_in_profile(owner_client):
    owner_client.put(PREFERENCES_URL, FULL_PREFERENCES, format="json")

    assert owner_client.get(PROFILE_URL).json()["preferences"] == FULL_PREFERENCES


def test_preferences_resets_missing_keys_to_defaults(owner_client, owner):
    owner_client.put(PREFERENCES_URL, FULL_PREFERENCES, format="json")

    response = owner_client.put(PREFERENCES_URL, {"cultural_contexts": ["urban"]}, format="json")

    expected = {**DEFAULT_PREFERENCES, "cultural_contexts": ["urban"]}
    assert response.json() == expected
    owner.refresh_from_db()
    assert owner.preferences == expected


def test_preferences_changes_only_own_user(owner_client, owner, other):
    owner_client.put(PREFERENCES_URL, FULL_PREFERENCES, format="json")

    other.refresh_from_db()
    assert other.preferences == DEFAULT_PREFERENCES


@pytest.mark.parametrize(
    ("body", "detail_key"),
    [
        ({"theme": "dark"}, "theme"),
        ({"quality_threshold": 1.01}, "quality_threshold"),
        ({"quality_threshold": None}, "quality_threshold"),
        ({"language_preference": "hindi"}, "language_preference"),
        ({"preferred_story_types": ["folk tale"]}, "preferred_story_types.0"),
        ({"cultural_contexts": "rural"}, "cultural_contexts"),
        ({"emotion_preferences": [["karuna"]]}, "emotion_preferences.0"),
        ({"preferred_story_types": ["folk_tale", "novel"]}, "preferred_story_types.1"),
        ({"cultural_contexts": ["space"]}, "cultural_contexts.0"),
        ({"emotion_preferences": ["joy"]}, "emotion_preferences.0"),
        ({"quality_threshold": "0.9"}, "quality_threshold"),
        ({"notification_settings": "on"}, "notification_settings"),
    ],
)
def test_preferences_rejects_invalid_value(owner_client, owner, body, detail_key):
    error = error_of(owner_client.put(PREFERENCES_URL, body, format="json"), 400)

    assert error["message"] == VALIDATION_MESSAGE
    assert detail_key in error["details"]
    owner.refresh_from_db()
    assert owner.preferences == DEFAULT_PREFERENCES


def test_preferences_rejects_missing_token(anonymous_client):
    error_of(anonymous_client.put(PREFERENCES_URL, FULL_PREFERENCES, format="json"), 401)


def test_preferences_rejects_expired_token(anonymous_client, owner):
    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {expired_access_token(owner)}")

    error_of(anonymous_client.put(PREFERENCES_URL, FULL_PREFERENCES, format="json"), 401)

    owner.refresh_from_db()
    assert owner.preferences == DEFAULT_PREFERENCES
