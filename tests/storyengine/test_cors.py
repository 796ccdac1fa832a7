"""Cross-origin requests to the API, allowed by CORS_ALLOWED_ORIGINS."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ALLOWED = "https://kathalu.example.org"
DISALLOWED = "https://elsewhere.example.net"


@pytest.fixture(autouse=True)
def allowed_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]


def preflight(client, path: str, origin: str):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_preflight_from_allowed_origin_is_allowed(anonymous_client):
    response = preflight(anonymous_client, "/api/v2/stories/generate", ALLOWED)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"]


def test_preflight_from_other_origin_gets_no_allow_origin(anonymous_client):
    response = preflight(anonymous_client, "/api/v2/stories/generate", DISALLOWED)

    assert "Access-Control-Allow-Origin" not in response.headers


def test_allowed_origin_sees_exposed_headers(owner_client):
    response = owner_client.get("/api/v1/users/profile", HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = {name.strip().lower() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "deprecation", "sunset", "x-api-deprecation", "x-api-sunset"} <= exposed


def test_origin_setting_is_read_per_request(anonymous_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [DISALLOWED]

    response = preflight(anonymous_client, "/api/v2/auth/login", DISALLOWED)

    assert response.headers["Access-Control-Allow-Origin"] == DISALLOWED


def test_pages_outside_api_send_no_cors_headers(anonymous_client):
    response = anonymous_client.get("/health", HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_v1_preflight_is_deprecated(anonymous_client):
    response = preflight(anonymous_client, "/api/v1/stories/generate", ALLOWED)

    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Deprecation" in response.headers
    assert "Sunset" in response.headers
