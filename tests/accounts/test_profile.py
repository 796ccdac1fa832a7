"""GET /api/v2/users/profile."""

from __future__ import annotations

from datetime import datetime

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.accounts.support import (
    DEFAULT_PREFERENCES,
    LOGIN_URL,
    PROFILE_KEYS,
    PROFILE_URL,
    error_of,
    expired_access_token,
)
from tests.conftest import PASSWORD, bearer_client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]


def test_profile_returns_signed_in_user(owner_client, owner):
    response = owner_client.get(PROFILE_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert body["id"] == owner.pk
    assert body["email"] == "lakshmi@example.com"
    assert body["username"] == "lakshmi"
    assert body["preferences"] == DEFAULT_PREFERENCES
    assert body["statistics"] == {}
    assert body["achievements"] == []
    assert body["last_login"] is None
    assert datetime.fromisoformat(body["created_at"]) == owner.date_joined


def test_profile_shows_only_own_user(owner_client, other_client, owner, other):
    assert owner_client.get(PROFILE_URL).json()["id"] == owner.pk
    assert other_client.get(PROFILE_URL).json()["id"] == other.pk


def test_profile_shows_stored_statistics_and_achievements(owner_client, owner):
    owner.statistics = {"stories_written": 3, "average_quality": 0.71}
    owner.achievements = [{"id": "first_story", "earned_at": "2026-01-14T10:00:00+05:30"}]
    owner.save(update_fields=["statistics", "achievements"])

    body = owner_client.get(PROFILE_URL).json()

    assert body["statistics"] == {"stories_written": 3, "average_quality": 0.71}
    assert body["achievements"] == [{"id": "first_story", "earned_at": "2026-01-14T10:00:00+05:30"}]


def test_profile_fills_missing_preference_keys(owner_client, owner):
    owner.preferences = {"language_preference": "english"}
    owner.save(update_fields=["preferences"])

    preferences = owner_client.get(PROFILE_URL).json()["preferences"]

    assert preferences == {**DEFAULT_PREFERENCES, "language_preference": "english"}


def test_profile_shows_login_time_after_login(anonymous_client, owner):
    access = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": PASSWORD}, format="json").json()[
        "access_token"
    ]
    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    body = anonymous_client.get(PROFILE_URL).json()

    owner.refresh_from_db()
    assert datetime.fromisoformat(body["last_login"]) == owner.last_login


def test_profile_accepts_browser_session(anonymous_client, owner):
    anonymous_client.force_login(owner)

    response = anonymous_client.get(PROFILE_URL)

    assert response.status_code == 200
    assert response.json()["id"] == owner.pk


def test_profile_rejects_missing_token(anonymous_client):
    response = anonymous_client.get(PROFILE_URL)

    error = error_of(response, 401)
    assert error["details"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_profile_rejects_expired_access_token(anonymous_client, owner):
    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {expired_access_token(owner)}")

    error = error_of(anonymous_client.get(PROFILE_URL), 401)

    assert error["details"] == {}


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer a.b.c", "Bearer", "Token abc", "Bearer one two"])
def test_profile_rejects_malformed_authorization(anonymous_client, owner, header):
    anonymous_client.credentials(HTTP_AUTHORIZATION=header)

    error_of(anonymous_client.get(PROFILE_URL), 401)


def test_profile_rejects_refresh_token_as_bearer(anonymous_client, owner):
    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(owner)}")

    error_of(anonymous_client.get(PROFILE_URL), 401)


def test_profile_rejects_access_token_of_deactivated_user(owner):
    client = bearer_client(owner)
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    error = error_of(client.get(PROFILE_URL), 401)

    assert error["details"] == {}


def test_profile_rejects_access_token_of_deleted_user(owner):
    client = bearer_client(owner)
    owner.delete()

    error = error_of(client.get(PROFILE_URL), 401)

    assert error["details"] == {}


def test_profile_rejects_session_of_deactivated_user(owner):
    client = APIClient()
    client.force_login(owner)
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    error_of(client.get(PROFILE_URL), 401)
