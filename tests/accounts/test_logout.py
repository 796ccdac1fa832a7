"""POST /api/v2/auth/logout."""

from __future__ import annotations

import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from storyengine.api.errors import VALIDATION_MESSAGE
from tests.accounts.support import LOGIN_URL, LOGOUT_URL, PROFILE_URL, REFRESH_URL, error_of, expired_refresh_token
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

REJECTED = "Refresh token is invalid, expired or revoked: sign in again."


def log_in(client, user) -> dict:
    response = client.post(LOGIN_URL, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def test_logout_returns_no_content(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]

    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    assert response.status_code == 204
    assert response.content == b""


def test_logout_blacklists_refresh_token(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]

    anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    assert BlacklistedToken.objects.filter(token__jti=RefreshToken(token, verify=False)["jti"]).exists()


def test_logout_revokes_token_for_refresh(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_logout_leaves_other_sessions_signed_in(anonymous_client, owner):
    first = log_in(anonymous_client, owner)["refresh_token"]
    second = log_in(anonymous_client, owner)["refresh_token"]

    anonymous_client.post(LOGOUT_URL, {"refresh_token": first}, format="json")

    assert anonymous_client.post(REFRESH_URL, {"refresh_token": second}, format="json").status_code == 200


def test_logout_leaves_access_token_valid_until_expiry(anonymous_client, owner):
    tokens = log_in(anonymous_client, owner)
    anonymous_client.post(LOGOUT_URL, {"refresh_token": tokens["refresh_token"]}, format="json")

    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    assert anonymous_client.get(PROFILE_URL).status_code == 200


def test_logout_rejects_already_revoked_token(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    error = error_of(response, 401)
    assert error["message"] == REJECTED
    assert error["details"] == {}


def test_logout_rejects_rotated_token(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")

    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_logout_revokes_token_of_deactivated_user(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    assert response.status_code == 204
    assert BlacklistedToken.objects.filter(token__jti=RefreshToken(token, verify=False)["jti"]).exists()


def test_logout_revokes_token_of_deleted_user(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    owner.delete()

    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    assert response.status_code == 204
    assert BlacklistedToken.objects.filter(token__jti=RefreshToken(token, verify=False)["jti"]).exists()


def test_logout_rejects_expired_token(anonymous_client, owner):
    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": expired_refresh_token(owner)}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_logout_rejects_access_token(anonymous_client, owner):
    access = log_in(anonymous_client, owner)["access_token"]

    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": access}, format="json")

    assert error_of(response, 401)["message"] == REJECTED
    assert not BlacklistedToken.objects.exists()


def test_logout_rejects_malformed_token(anonymous_client):
    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": "garbage"}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_logout_rejects_missing_token(anonymous_client):
    error = error_of(anonymous_client.post(LOGOUT_URL, {}, format="json"), 400)

    assert error["message"] == VALIDATION_MESSAGE
    assert len(error["details"]["refresh_token"]) == 1


@pytest.mark.parametrize("value", ["", None, 12345, ["token"]])
def test_logout_rejects_blank_or_wrong_type_token(anonymous_client, value):
    error = error_of(anonymous_client.post(LOGOUT_URL, {"refresh_token": value}, format="json"), 400)

    assert "refresh_token" in error["details"]


def test_logout_ignores_stale_authorization_header(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    anonymous_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")

    response = anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json")

    assert response.status_code == 204
