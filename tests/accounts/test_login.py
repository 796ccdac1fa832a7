"""POST /api/v2/auth/login."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from storyengine.api.errors import VALIDATION_MESSAGE
from tests.accounts.support import AUTH_KEYS, LOGIN_URL, PROFILE_KEYS, PROFILE_URL, error_of
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]


def test_login_returns_tokens_and_profile(anonymous_client, owner):
    response = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == AUTH_KEYS
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert set(body["user"]) == PROFILE_KEYS
    assert body["user"]["id"] == owner.pk
    assert body["user"]["email"] == "lakshmi@example.com"
    assert AccessToken(body["access_token"])["user_id"] == str(owner.pk)


def test_login_records_login_time(anonymous_client, owner):
    assert owner.last_login is None
    before = timezone.now()

    response = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": PASSWORD}, format="json")

    owner.refresh_from_db()
    assert owner.last_login is not None
    assert owner.last_login >= before
    assert response.json()["user"]["last_login"] is not None


def test_login_access_token_opens_profile(anonymous_client, owner):
    body = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": PASSWORD}, format="json").json()

    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")

    assert anonymous_client.get(PROFILE_URL).json()["id"] == owner.pk


def test_login_matches_email_in_any_case(anonymous_client, owner):
    body = {"email": "  LAKSHMI@Example.Com ", "password": PASSWORD}

    response = anonymous_client.post(LOGIN_URL, body, format="json")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == owner.pk


def test_login_rejects_wrong_password(anonymous_client, owner):
    response = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": PASSWORD + "x"}, format="json")

    error = error_of(response, 401)
    assert error["message"] == "Invalid credentials"
    assert error["details"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")
    owner.refresh_from_db()
    assert owner.last_login is None


def test_login_rejects_unknown_email_like_wrong_password(anonymous_client, owner):
    unknown = anonymous_client.post(LOGIN_URL, {"email": "nobody@example.com", "password": PASSWORD}, format="json")
    wrong = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": "not-the-password"}, format="json")

    unknown_error = error_of(unknown, 401)
    wrong_error = error_of(wrong, 401)
    assert unknown_error["message"] == wrong_error["message"] == "Invalid credentials"
    assert unknown_error["details"] == wrong_error["details"] == {}


def test_login_rejects_inactive_user(anonymous_client, owner):
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    response = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": PASSWORD}, format="json")

    assert error_of(response, 401)["message"] == "Invalid credentials"
    owner.refresh_from_db()
    assert owner.last_login is None


def test_login_treats_malformed_email_as_unknown(anonymous_client, owner):
    response = anonymous_client.post(LOGIN_URL, {"email": "lakshmi", "password": PASSWORD}, format="json")

    assert error_of(response, 401)["message"] == "Invalid credentials"


def test_login_does_not_trim_password(anonymous_client, owner):
    response = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": f" {PASSWORD} "}, format="json")

    assert error_of(response, 401)["message"] == "Invalid credentials"


@pytest.mark.parametrize("field", ["email", "password"])
def test_login_rejects_missing_field(anonymous_client, owner, field):
    body = {"email": owner.email, "password": PASSWORD}
    del body[field]

    error = error_of(anonymous_client.post(LOGIN_URL, body, format="json"), 400)

    assert error["message"] == VALIDATION_MESSAGE
    assert len(error["details"][field]) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", 12345),
        ("email", ["lakshmi@example.com"]),
        ("email", None),
        ("email", ""),
        ("password", 12345678),
        ("password", None),
        ("password", ""),
    ],
)
def test_login_rejects_wrong_type_or_blank(anonymous_client, owner, field, value):
    body = {"email": owner.email, "password": PASSWORD, field: value}

    error = error_of(anonymous_client.post(LOGIN_URL, body, format="json"), 400)

    assert field in error["details"]


def test_login_rejects_too_long_email(anonymous_client, owner):
    body = {"email": "a" * 250 + "@x.in", "password": PASSWORD}

    error = error_of(anonymous_client.post(LOGIN_URL, body, format="json"), 400)

    assert "email" in error["details"]


def test_login_ignores_stale_authorization_header(anonymous_client, owner):
    anonymous_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")

    response = anonymous_client.post(LOGIN_URL, {"email": owner.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
