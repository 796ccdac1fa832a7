"""GET /health and /health/detailed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.django_db
def test_health_detailed_reports_missing_llama_cpp(anonymous_client, monkeypatch):
    # None in sys.modules makes `import llama_cpp` raise ImportError, as on a host without the package.
    monkeypatch.setitem(sys.modules, "llama_cpp", None)

    response = anonymous_client.get("/health/detailed")

    assert response.status_code == 503
    assert response.json()["ai_models"].startswith("unhealthy: llama-cpp-python cannot be imported")


@pytest.mark.django_db(transaction=True)
def test_site_serves_without_llama_cpp(owner):
    """A server process without llama-cpp-python starts, reports why, and rejects generation with 503."""
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database_url = f"sqlite:///{database['NAME']}"
    else:
        database_url = (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url}

    result = subprocess.run(
        [sys.executable, "-c", SERVER_WITHOUT_LLAMA_CPP, owner.email],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    health, generation = json.loads(result.stdout.splitlines()[-1])
    assert health["status_code"] == 503
    assert health["body"]["ai_models"].startswith("unhealthy: llama-cpp-python cannot be imported")
    assert health["body"]["database"] == "healthy"
    assert generation["status_code"] == 503
    assert generation["body"]["error"]["message"].startswith("The story model is unavailable: llama-cpp-python")
    assert generation["retry_after"]


# Runs in a fresh interpreter where importing llama_cpp fails: loads the ASGI
# application as daphne does, then sends two requests through Django's test client.
SERVER_WITHOUT_LLAMA_CPP = """
import json
import sys

sys.modules["llama_cpp"] = None

import django

django.setup()
from storyengine.asgi import application  # noqa: F401
from django.contrib.auth import get_user_model
from django.test import Client

client = Client(HTTP_HOST="127.0.0.1")
health = client.get("/health/detailed")
client.force_login(get_user_model().objects.get(email=sys.argv[1]))
generation = client.post(
    "/api/v2/stories/generate",
    {"prompt": "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం", "length": 100},
    content_type="application/json",
)
print(json.dumps([
    {"status_code": health.status_code, "body": health.json()},
    {"status_code": generation.status_code, "body": generation.json(), "retry_after": generation.get("Retry-After")},
], ensure_ascii=False))
"""


@pytest.mark.django_db
def test_health_workers_disabled_in_process(anonymous_client, settings):
    settings.JOBS_IN_PROCESS = True

    response = anonymous_client.get("/health/detailed")

    assert response.json()["workers"] == "disabled"


@pytest.mark.django_db
def test_health_degraded_without_worker(anonymous_client, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis as the Celery broker: set REDIS_URL")
    settings.JOBS_IN_PROCESS = False

    response = anonymous_client.get("/health/detailed")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["workers"].startswith("unhealthy: no Celery worker answered within")
    assert "celery -A storyengine worker -Q generation" in body["workers"]
