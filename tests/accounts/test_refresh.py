"""POST /api/v2/auth/refresh."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from storyengine.api.errors import VALIDATION_MESSAGE
from tests.accounts.support import (
    AUTH_KEYS,
    LOGIN_URL,
    LOGOUT_URL,
    PROFILE_KEYS,
    PROFILE_URL,
    REFRESH_URL,
    error_of,
    expired_refresh_token,
)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

REJECTED = "Refresh token is invalid, expired or revoked: sign in again."


def log_in(client, user) -> dict:
    response = client.post(LOGIN_URL, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def test_refresh_returns_new_token_pair(anonymous_client, owner):
    first = log_in(anonymous_client, owner)

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": first["refresh_token"]}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == AUTH_KEYS
    assert set(body["user"]) == PROFILE_KEYS
    assert body["user"]["id"] == owner.pk
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert AccessToken(body["access_token"])["user_id"] == str(owner.pk)


def test_refresh_access_token_opens_profile(anonymous_client, owner):
    refreshed = anonymous_client.post(
        REFRESH_URL, {"refresh_token": log_in(anonymous_client, owner)["refresh_token"]}, format="json"
    ).json()

    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed['access_token']}")

    assert anonymous_client.get(PROFILE_URL).status_code == 200


def test_refresh_blacklists_old_token(anonymous_client, owner):
    old = log_in(anonymous_client, owner)["refresh_token"]
    old_jti = RefreshToken(old, verify=False)["jti"]

    anonymous_client.post(REFRESH_URL, {"refresh_token": old}, format="json")

    assert BlacklistedToken.objects.filter(token__jti=old_jti).exists()


def test_refresh_records_new_token_as_outstanding(anonymous_client, owner):
    old = log_in(anonymous_client, owner)["refresh_token"]

    new = anonymous_client.post(REFRESH_URL, {"refresh_token": old}, format="json").json()["refresh_token"]

    outstanding = OutstandingToken.objects.get(jti=RefreshToken(new)["jti"])
    assert outstanding.user_id == owner.pk
    assert not BlacklistedToken.objects.filter(token=outstanding).exists()


def test_refresh_rejects_rotated_token(anonymous_client, owner):
    old = log_in(anonymous_client, owner)["refresh_token"]
    anonymous_client.post(REFRESH_URL, {"refresh_token": old}, format="json")

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": old}, format="json")

    error = error_of(response, 401)
    assert error["message"] == REJECTED
    assert error["details"] == {}


def test_refresh_accepts_each_rotated_token_once(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]

    for _ in range(3):
        response = anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")
        assert response.status_code == 200
        token = response.json()["refresh_token"]

    assert OutstandingToken.objects.filter(user=owner).count() == 4
    assert BlacklistedToken.objects.filter(token__user=owner).count() == 3


def test_refresh_rejects_token_revoked_by_logout(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    assert anonymous_client.post(LOGOUT_URL, {"refresh_token": token}, format="json").status_code == 204

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_refresh_rejects_token_of_deactivated_user(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")

    assert error_of(response, 401)["message"] == REJECTED
    assert not BlacklistedToken.objects.filter(token__jti=RefreshToken(token, verify=False)["jti"]).exists()


def test_refresh_rejects_token_of_deleted_user(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    owner.delete()

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_refresh_rejects_unrecorded_token_of_deleted_user(anonymous_client, owner):
    # Without its OutstandingToken row, as after flushexpiredtokens, nothing in the
    # blacklist tables refers to the token any more.
    token = str(RefreshToken.for_user(owner))
    OutstandingToken.objects.filter(user=owner).delete()
    owner.delete()

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_refresh_rejects_expired_token(anonymous_client, owner):
    response = anonymous_client.post(REFRESH_URL, {"refresh_token": expired_refresh_token(owner)}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_refresh_rejects_access_token(anonymous_client, owner):
    access = log_in(anonymous_client, owner)["access_token"]

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": access}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
def test_refresh_rejects_malformed_token(anonymous_client, token):
    response = anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")

    assert error_of(response, 401)["message"] == REJECTED


def test_refresh_rejects_token_with_altered_payload(anonymous_client, owner, other):
    token = log_in(anonymous_client, owner)["refresh_token"]
    header, _payload, signature = token.split(".")
    forged_payload = str(RefreshToken.for_user(other)).split(".")[1]

    response = anonymous_client.post(
        REFRESH_URL, {"refresh_token": f"{header}.{forged_payload}.{signature}"}, format="json"
    )

    assert error_of(response, 401)["message"] == REJECTED


def test_refresh_rejects_missing_token(anonymous_client):
    error = error_of(anonymous_client.post(REFRESH_URL, {}, format="json"), 400)

    assert error["message"] == VALIDATION_MESSAGE
    assert len(error["details"]["refresh_token"]) == 1


@pytest.mark.parametrize("value", ["", None, 12345, ["token"], {"token": "x"}])
def test_refresh_rejects_blank_or_wrong_type_token(anonymous_client, value):
    error = error_of(anonymous_client.post(REFRESH_URL, {"refresh_token": value}, format="json"), 400)

    assert "refresh_token" in error["details"]


def test_refresh_ignores_stale_authorization_header(anonymous_client, owner):
    token = log_in(anonymous_client, owner)["refresh_token"]
    anonymous_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")

    response = anonymous_client.post(REFRESH_URL, {"refresh_token": token}, format="json")

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_refresh_concurrent_reuse_succeeds_once(owner):
    token = log_in(APIClient(), owner)["refresh_token"]
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def refresh() -> None:
        try:
            client = APIClient()
            barrier.wait()
            statuses.append(client.post(REFRESH_URL, {"refresh_token": token}, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401, 401, 401]
    assert OutstandingToken.objects.filter(user=owner).count() == 2
