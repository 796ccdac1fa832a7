"""Bad input to POST /api/v2/stories/generate: each gets a 4xx in the envelope and writes nothing."""

from __future__ import annotations

import pytest

from stories.models import Story

URL = "/api/v2/stories/generate"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"

pytestmark = pytest.mark.django_db


def assert_field_error(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body["error"]) == {"message", "details", "timestamp", "path"}
    assert body["error"]["path"] == URL
    assert field in body["error"]["details"], body["error"]["details"]
    assert Story.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"prompt": "చిన్న"}, "prompt"),
        ({"prompt": "          short     "}, "prompt"),
        ({"prompt": "క" * 1001}, "prompt"),
        ({}, "prompt"),
        ({"prompt": 12345678901}, "prompt"),
        ({"prompt": PROMPT, "length": 99}, "length"),
        ({"prompt": PROMPT, "length": 10001}, "length"),
        ({"prompt": PROMPT, "length": "150"}, "length"),
        ({"prompt": PROMPT, "length": True}, "length"),
        ({"prompt": PROMPT, "story_type": "novel"}, "story_type"),
        ({"prompt": PROMPT, "cultural_context": "martian"}, "cultural_context"),
        ({"prompt": PROMPT, "emotion_focus": "karuna"}, "emotion_focus"),
        ({"prompt": PROMPT, "emotion_focus": ["karuna", "sadness"]}, "emotion_focus.1"),
        ({"prompt": PROMPT, "advanced_options": {"temperature": 5}}, "advanced_options.temperature"),
        ({"prompt": PROMPT, "advanced_options": {"beam_width": 4}}, "advanced_options.beam_width"),
        ({"prompt": PROMPT, "advanced_options": {"model": "gpt-9"}}, "advanced_options.model"),
        ({"prompt": PROMPT, "style_preferences": ["formal"]}, "style_preferences"),
    ],
)
def test_generate_rejects_invalid_field(owner_client, payload, field):
    response = owner_client.post(URL, payload, format="json")

    assert_field_error(response, field)


def test_generate_rejects_malformed_json(owner_client):
    response = owner_client.post(URL, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert "message" in response.json()["error"]
    assert Story.objects.count() == 0


def test_generate_requires_token(anonymous_client):
    response = anonymous_client.post(URL, {"prompt": PROMPT}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["message"]
    assert Story.objects.count() == 0


def test_generate_rejects_expired_token(owner):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(owner)
    token.set_exp(from_time=timezone.now() - timedelta(hours=2), lifetime=timedelta(hours=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.post(URL, {"prompt": PROMPT}, format="json")

    assert response.status_code == 401
    assert Story.objects.count() == 0
