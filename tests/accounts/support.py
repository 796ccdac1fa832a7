"""Paths, payloads and assertions shared by the accounts tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.response import Response
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

REGISTER_URL = "/api/v2/auth/register"
LOGIN_URL = "/api/v2/auth/login"
REFRESH_URL = "/api/v2/auth/refresh"
LOGOUT_URL = "/api/v2/auth/logout"
PROFILE_URL = "/api/v2/users/profile"
PREFERENCES_URL = "/api/v2/users/preferences"

PROFILE_KEYS = {"id", "email", "username", "preferences", "statistics", "achievements", "created_at", "last_login"}
AUTH_KEYS = {"access_token", "refresh_token", "token_type", "expires_in", "user"}
DEFAULT_PREFERENCES = {
    "preferred_story_types": [],
    "cultural_contexts": [],
    "emotion_preferences": [],
    "language_preference": "telugu",
    "quality_threshold": 0.8,
    "notification_settings": {},
}


def registration(**overrides: Any) -> dict[str, Any]:
    """Return a valid registration body with the given fields replaced."""
    body: dict[str, Any] = {
        "email": "sita@example.com",
        "username": "sita",
        "password": "vennela-rathri-42",
    }
    body.update(overrides)
    return body


def error_of(response: Response, status_code: int) -> dict[str, Any]:
    """Assert the response is an error envelope with the status code and return its `error` object."""
    assert response.status_code == status_code, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"message", "details", "timestamp", "path"}
    assert error["path"] == response.wsgi_request.path
    return error


def expired_access_token(user) -> str:
    """Return an access token for the user whose expiry lies one minute in the past."""
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - token.lifetime - timedelta(minutes=1))
    return str(token)


def expired_refresh_token(user) -> str:
    """Return a refresh token for the user whose expiry lies one minute in the past."""
    token = RefreshToken.for_user(user)
    token.set_exp(from_time=timezone.now() - token.lifetime - timedelta(minutes=1))
    return str(token)
