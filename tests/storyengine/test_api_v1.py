"""/api/v1/ serves the v2 handlers and marks every response as deprecated."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from stories.models import Story

pytestmark = pytest.mark.django_db

DEPRECATION_HEADERS = ("Deprecation", "Sunset", "X-API-Deprecation", "X-API-Sunset", "Link")
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"


def assert_deprecated(response) -> None:
    for header in DEPRECATION_HEADERS:
        assert header in response.headers, f"{header} missing from {response.status_code} answer"


def assert_not_deprecated(response) -> None:
    for header in DEPRECATION_HEADERS:
        assert header not in response.headers, f"{header} present on a non-v1 answer"


@pytest.fixture
def story(owner) -> Story:
    return Story.objects.create(
        owner=owner,
        prompt=PROMPT,
        target_length=150,
        status="completed",
        title="రైతు కథ",
        content="ఒక ఊరిలో ఒక పేద రైతు ఉండేవాడు.",
    )


def test_v1_profile_matches_v2(owner_client):
    v1 = owner_client.get("/api/v1/users/profile")
    v2 = owner_client.get("/api/v2/users/profile")

    assert v1.status_code == 200
    assert v1.json() == v2.json()
    assert_deprecated(v1)
    assert_not_deprecated(v2)


def test_v1_story_detail_matches_v2(owner_client, story):
    v1 = owner_client.get(f"/api/v1/stories/{story.pk}")
    v2 = owner_client.get(f"/api/v2/stories/{story.pk}")

    assert v1.status_code == 200
    assert v1.json()["story_id"] == str(story.pk)
    assert v1.json()["content"] == v2.json()["content"]
    assert_deprecated(v1)
    assert_not_deprecated(v2)


def test_v1_register_creates_account(anonymous_client, django_user_model):
    payload = {"email": "sita@example.com", "username": "sita", "password": "kathalu-rasina-2026"}

    response = anonymous_client.post("/api/v1/auth/register", payload, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["token_type"] == "bearer"
    assert django_user_model.objects.filter(email="sita@example.com").exists()
    assert_deprecated(response)


def test_v1_header_values_follow_settings(owner_client, settings):
    settings.STORYENGINE_API_V1_DEPRECATED_ON = date(2026, 12, 1)
    settings.STORYENGINE_API_V1_SUNSET = date(2027, 6, 30)

    response = owner_client.get("/api/v1/users/profile")

    deprecated_at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert response.headers["Deprecation"] == f"@{int(deprecated_at.timestamp())}"
    assert response.headers["Sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert response.headers["X-API-Sunset"] == "2027-06-30T00:00:00+00:00"
    assert "/api/v2/" in response.headers["X-API-Deprecation"]
    assert response.headers["Link"] == '</api/v2/users/profile>; rel="successor-version"'


def test_v1_sunset_moves_with_setting(owner_client, settings):
    settings.STORYENGINE_API_V1_SUNSET = date(2028, 1, 31)

    response = owner_client.get("/api/v1/users/profile")

    assert response.headers["Sunset"] == "Mon, 31 Jan 2028 00:00:00 GMT"
    assert response.headers["X-API-Sunset"] == "2028-01-31T00:00:00+00:00"


def test_v1_unauthenticated_error_is_deprecated(anonymous_client):
    response = anonymous_client.get("/api/v1/users/profile")

    assert response.status_code == 401
    assert response.json()["error"]["path"] == "/api/v1/users/profile"
    assert_deprecated(response)


def test_v1_validation_error_is_deprecated(owner_client):
    response = owner_client.post("/api/v1/stories/generate", {"prompt": "చిన్న"}, format="json")

    assert response.status_code == 400
    assert "prompt" in response.json()["error"]["details"]
    assert_deprecated(response)
    assert Story.objects.count() == 0


def test_v1_unknown_path_is_deprecated_404(owner_client):
    response = owner_client.get("/api/v1/no-such-endpoint")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Not found."
    assert_deprecated(response)


def test_v1_forbidden_story_is_deprecated(other_client, story):
    response = other_client.get(f"/api/v1/stories/{story.pk}")

    assert response.status_code == 403
    assert response.json()["error"]["path"] == f"/api/v1/stories/{story.pk}"
    assert_deprecated(response)


def test_v1_wrong_method_is_deprecated_405(owner_client):
    response = owner_client.get("/api/v1/stories/generate")

    assert response.status_code == 405
    assert_deprecated(response)


def test_health_is_not_versioned(anonymous_client):
    unversioned = anonymous_client.get("/health")
    under_v1 = anonymous_client.get("/api/v1/health")

    assert unversioned.status_code == 200
    assert_not_deprecated(unversioned)
    assert under_v1.status_code == 404


def test_v1_schema_document_describes_v2(anonymous_client):
    response = anonymous_client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v2/users/profile" in paths
    assert not any(path.startswith("/api/v1/") for path in paths)
    assert_deprecated(response)
