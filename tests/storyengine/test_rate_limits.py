"""The per-user generation limit: one bucket per user, shared by every token and API version.

Each request sends an invalid body, so no test here runs the model: DRF checks
throttles before the view parses the body, so a request that then fails
validation still counts toward the limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.throttling import SimpleRateThrottle

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from stories.models import Story

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
URL = "/api/v2/stories/generate"
INVALID = {"prompt": "చిన్న"}


@pytest.fixture
def rate_of_two(monkeypatch):
    # DRF copies DEFAULT_THROTTLE_RATES onto the class at import, so the settings
    # fixture cannot change it; the class attribute is what each throttle reads.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"generation": "2/min"})


def spend(client, count: int, url: str = URL, **extra) -> list[int]:
    return [client.post(url, INVALID, format="json", **extra).status_code for _ in range(count)]


def test_third_request_gets_429_envelope_with_retry_after(owner_client, rate_of_two):
    assert spend(owner_client, 2) == [400, 400]

    response = owner_client.post(URL, INVALID, format="json")

    assert response.status_code == 429
    body = response.json()
    assert set(body["error"]) == {"message", "details", "timestamp", "path"}
    assert body["error"]["path"] == URL
    assert body["error"]["details"] == {}
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert Story.objects.count() == 0


def test_two_tokens_of_one_user_share_bucket(owner, rate_of_two):
    tokens = [str(RefreshToken.for_user(owner).access_token) for _ in range(2)]
    assert tokens[0] != tokens[1]
    first, second = APIClient(), APIClient()
    first.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[0]}")
    second.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[1]}")

    assert spend(first, 2) == [400, 400]

    assert spend(second, 1) == [429]


def test_forged_forwarded_for_does_not_reset_bucket(owner_client, rate_of_two):
    assert spend(owner_client, 2, HTTP_X_FORWARDED_FOR="198.51.100.7") == [400, 400]

    assert spend(owner_client, 1, HTTP_X_FORWARDED_FOR="203.0.113.99") == [429]
    assert spend(owner_client, 1, REMOTE_ADDR="192.0.2.44") == [429]


def test_other_user_has_own_bucket(owner_client, other_client, rate_of_two):
    assert spend(owner_client, 3) == [400, 400, 429]

    assert spend(other_client, 2) == [400, 400]


def test_v1_and_v2_share_bucket(owner_client, rate_of_two):
    assert spend(owner_client, 2, url="/api/v1/stories/generate") == [400, 400]

    assert spend(owner_client, 1) == [429]


def test_v1_throttled_answer_carries_deprecation_headers(owner_client, rate_of_two):
    spend(owner_client, 2)

    response = owner_client.post("/api/v1/stories/generate", INVALID, format="json")

    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert "Sunset" in response.headers


def test_anonymous_request_is_401_not_throttled(anonymous_client, rate_of_two):
    assert spend(anonymous_client, 3) == [401, 401, 401]


def test_throttle_reads_generation_rate_setting(settings):
    assert SimpleRateThrottle.THROTTLE_RATES["generation"] == settings.STORYENGINE_GENERATION_RATE


@pytest.mark.parametrize(("variable", "expected"), [(None, ["10", "60"]), ("7/hour", ["7", "3600"])])
def test_rate_limit_comes_from_environment(variable, expected):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    environment.pop("STORYENGINE_GENERATION_RATE", None)
    if variable is not None:
        environment["STORYENGINE_GENERATION_RATE"] = variable
    script = (
        "import django; django.setup()\n"
        "from stories.api.throttles import GenerationRateThrottle\n"
        "throttle = GenerationRateThrottle()\n"
        "print(throttle.num_requests, throttle.duration)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected
