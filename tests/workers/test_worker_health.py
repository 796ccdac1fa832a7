"""GET /health/detailed reports the Celery workers in distributed mode."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def test_health_detailed_reports_running_worker_then_its_loss(anonymous_client, start_worker):
    worker = start_worker()

    with_worker = anonymous_client.get("/health/detailed")
    worker.kill()
    without_worker = anonymous_client.get("/health/detailed")

    assert with_worker.status_code == 200, with_worker.content
    assert with_worker.json()["workers"] == "healthy"
    assert with_worker.json()["redis"] == "healthy"
    assert without_worker.status_code == 503
    assert without_worker.json()["workers"].startswith("unhealthy: no Celery worker answered")
