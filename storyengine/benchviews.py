"""The baseline view of bench/api.py, mounted only when STORYENGINE_BENCH_VIEWS is on."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone


def bare_json(request: HttpRequest) -> JsonResponse:
    """Return a two-field JSON object with no decorator, authentication or database work.

    It goes through the same middleware as every other view, so its rate is the
    ceiling that /health and the API are compared against.
    """
    return JsonResponse({"status": "ok", "timestamp": timezone.now().isoformat()})
