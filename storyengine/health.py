"""Liveness and dependency health.

``/health`` touches nothing (no database, no model) so a load balancer can poll
it cheaply. ``/health/detailed`` runs every registered dependency check; apps
higher up register theirs (the model runtime registers ``ai_models``) in their
``AppConfig.ready`` so this module imports no app above it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

HEALTHY = "healthy"
DISABLED = "disabled"

# A check returns "healthy", "disabled" or "unhealthy: <reason>".
HealthCheck = Callable[[], str]
_checks: dict[str, HealthCheck] = {}


def register_check(name: str, check: HealthCheck) -> None:
    _checks[name] = check


def unhealthy(reason: str) -> str:
    return f"unhealthy: {reason}"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is unusable
        return unhealthy(f"{type(exc).__name__}: {exc}".strip())
    return HEALTHY


def check_redis() -> str:
    if not settings.REDIS_URL:
        return DISABLED
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except redis.RedisError as exc:
        return unhealthy(f"{type(exc).__name__}: {exc}")
    return HEALTHY


register_check("database", check_database)
register_check("redis", check_redis)


def _json(payload: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return _json({"status": HEALTHY, "timestamp": timezone.now().isoformat()})


@require_GET
def health_detailed(request: HttpRequest) -> JsonResponse:
    """Run every check; any unhealthy dependency makes the response 503 ``degraded``."""
    results: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name, check in _checks.items():
        started = time.perf_counter()
        results[name] = check()
        timings[name] = round((time.perf_counter() - started) * 1000, 2)
        if results[name].startswith("unhealthy"):
            logger.warning("Health check %s failed: %s", name, results[name])

    degraded = any(result.startswith("unhealthy") for result in results.values())
    payload = {
        "status": "degraded" if degraded else HEALTHY,
        "timestamp": timezone.now().isoformat(),
        "mode": "embedded" if settings.EMBEDDED_MODE else "distributed",
        "dependencies": results,
        "check_milliseconds": timings,
        **results,
    }
    return _json(payload, status=503 if degraded else 200)
