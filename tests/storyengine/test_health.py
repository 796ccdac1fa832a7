"""GET /health and /health/detailed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.mark.django_db
def test_health_answers_without_database_work(anonymous_client):
    with CaptureQueriesContext(connection) as queries:
        response = anonymous_client.get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "healthy"
    assert response.json()["timestamp"]
    assert len(queries) == 0


@pytest.mark.smoke
@pytest.mark.django_db
def test_health_detailed_reports_each_dependency(anonymous_client, settings):
    response = anonymous_client.get("/health/detailed")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "healthy"
    assert body["database"] == "healthy"
    assert body["ai_models"] == "healthy"
    assert body["redis"] == ("healthy" if settings.REDIS_URL else "disabled")


@pytest.mark.django_db
def test_health_detailed_is_degraded_without_model_file(anonymous_client, settings, tmp_path):
    settings.STORYENGINE_MODEL_PATH = str(tmp_path / "absent.gguf")

    response = anonymous_client.get("/health/detailed")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["ai_models"].startswith("unhealthy: ")
    assert "absent.gguf" in body["ai_models"]


@pytest.mark.django_db
def test_health_detailed_is_degraded_when_redis_is_unreachable(anonymous_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = anonymous_client.get("/health/detailed")

    assert response.status_code == 503
    assert response.json()["redis"].startswith("unhealthy: ")
