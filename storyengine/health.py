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

GENERATION_QUEUE = "generation"
# How long the workers check waits for replies to its broadcast.
WORKER_REPLY_SECONDS = 1.0

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


def check_workers() -> str:
    """Ask the Celery workers which queues they consume; healthy when one consumes ``generation``.

    ``disabled`` when jobs run in this process (embedded mode). The broadcast
    waits WORKER_REPLY_SECONDS for replies, so this check takes that long in
    distributed mode.
    """
    if settings.JOBS_IN_PROCESS:
        return DISABLED
    from kombu.exceptions import OperationalError

    from storyengine.celery import app

    try:
        with app.connection_for_write() as connection:
            # One attempt: a broker that is down fails the check at once instead of being retried.
            connection.ensure_connection(max_retries=1)
            replies = app.control.inspect(timeout=WORKER_REPLY_SECONDS, connection=connection).active_queues() or {}
    except (OperationalError, OSError) as exc:
        return unhealthy(f"the Celery broker cannot be reached ({type(exc).__name__}: {exc})")
    if not replies:
        return unhealthy(
            f"no Celery worker answered within {WORKER_REPLY_SECONDS} s; "
            f"start one with `celery -A storyengine worker -Q {GENERATION_QUEUE}`"
        )
    consumed = {queue.get("name") for queues in replies.values() for queue in queues}
    if GENERATION_QUEUE not in consumed:
        return unhealthy(
            f"{len(replies)} Celery workers answered, but none consumes the {GENERATION_QUEUE!r} queue; "
            f"start one with `celery -A storyengine worker -Q {GENERATION_QUEUE}`"
        )
    return HEALTHY


register_check("database", check_database)
register_check("redis", check_redis)
register_check("workers", check_workers)


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
