"""Request middleware of the whole site."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from datetime import timezone as dt_timezone

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin
from django.utils.encoding import escape_uri_path
from django.utils.http import http_date

API_PREFIXES = ("/api/", "/health")


class EnglishApiMiddleware:
    """Activate English for API and health requests, whatever the site's language.

    The API's clients are programs, so its messages (including Django's and DRF's
    translated validation messages) stay English while the pages speak Telugu.
    Must come after LocaleMiddleware, which activates the visitor's language. It is
    sync-only and listed last, which keeps the whole chain synchronous under ASGI.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIXES):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
        return self.get_response(request)


V1_PREFIX = "/api/v1/"
V2_PREFIX = "/api/v2/"
EVENT_STREAM = "text/event-stream"


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=dt_timezone.utc)


class ApiDeprecationMiddleware(MiddlewareMixin):
    """Add deprecation headers to every response under ``/api/v1/``, errors and CORS preflights included.

    v1 routes to the v2 handlers, so these headers are all that sets its responses apart:

    - ``Deprecation: @<Unix seconds>`` (RFC 9745, a structured-field date) from
      ``STORYENGINE_API_V1_DEPRECATED_ON``;
    - ``Sunset: <HTTP-date>`` (RFC 8594) from ``STORYENGINE_API_V1_SUNSET``;
    - ``X-API-Deprecation`` with a short message and ``X-API-Sunset`` with the sunset as ISO 8601;
    - ``Link: </api/v2/...>; rel="successor-version"`` naming the same path under v2.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not request.path_info.startswith(V1_PREFIX):
            return response

        deprecated_at = _midnight_utc(settings.STORYENGINE_API_V1_DEPRECATED_ON)
        sunset_at = _midnight_utc(settings.STORYENGINE_API_V1_SUNSET)
        script_prefix = request.path.removesuffix(request.path_info)
        successor = script_prefix + V2_PREFIX + request.path_info.removeprefix(V1_PREFIX)

        response.headers["Deprecation"] = f"@{int(deprecated_at.timestamp())}"
        response.headers["Sunset"] = http_date(sunset_at.timestamp())
        response.headers["X-API-Deprecation"] = f"API v1 is deprecated: use {V2_PREFIX}, which takes the same requests."
        response.headers["X-API-Sunset"] = sunset_at.isoformat()
        response.headers["Link"] = f'<{escape_uri_path(successor)}>; rel="successor-version"'
        return response


class ApiGZipMiddleware(GZipMiddleware):
    """Gzip responses over ``STORYENGINE_GZIP_MIN_BYTES`` bytes for clients that accept gzip.

    Event streams pass through untouched. zlib holds small writes in its buffer
    until it has a block to emit, so a compressed stream of short events would reach
    the client in bursts instead of event by event.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type == EVENT_STREAM:
            return response
        # "Over N bytes", so a body of exactly N stays as it is.
        if not response.streaming and len(response.content) <= settings.STORYENGINE_GZIP_MIN_BYTES:
            return response
        return super().process_response(request, response)
