"""The error envelope shared by every 4xx and 5xx response of the API.

``{"error": {"message": str, "details": object, "timestamp": str, "path": str}}``;
for validation errors ``details`` maps each offending field, with list items
keyed by index (``emotion_focus.1``), to its messages.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

VALIDATION_MESSAGE = "Invalid request: see details for the offending fields."


class ServiceUnavailable(exceptions.APIException):
    """A dependency (the model, a queue) cannot take the request now; try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable."
    default_code = "service_unavailable"

    def __init__(self, detail: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class ErrorBodySerializer(serializers.Serializer):
    """The ``error`` object of the envelope: what failed, where and when."""

    message = serializers.CharField(help_text="What failed, in English.")
    details = serializers.DictField(
        help_text=(
            "For validation errors, each offending field mapped to a list of messages, with list "
            "items keyed by index (`emotion_focus.1`) and nested fields by name "
            "(`advanced_options.temperature`); otherwise an empty object."
        )
    )
    timestamp = serializers.DateTimeField(help_text="When the error response was created, ISO 8601 with a time zone.")
    path = serializers.CharField(help_text="The request path.")


class ErrorEnvelopeSerializer(serializers.Serializer):
    """The body of every 4xx and 5xx response of the API."""

    error = ErrorBodySerializer()


def error_body(message: str, path: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "details": details or {},
            "timestamp": timezone.localtime().isoformat(),
            "path": path,
        }
    }


def flatten_details(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into ``{"field.index.sub": [messages]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_details(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(flatten_details(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def _message(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return VALIDATION_MESSAGE
    detail = exc.detail
    if isinstance(detail, dict):
        detail = detail.get("detail", next(iter(detail.values()), exc.default_detail))
    if isinstance(detail, list):
        detail = detail[0] if detail else exc.default_detail
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Wrap every exception a DRF view raises in the error envelope."""
    request = context.get("request")
    path = request.path if request is not None else ""

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        view = context.get("view")
        logger.exception("Unhandled error in %s for %s", type(view).__name__ if view else "view", path)
        return Response(error_body("Internal server error.", path), status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    assert isinstance(exc, exceptions.APIException)
    details = flatten_details(exc.detail) if isinstance(exc, exceptions.ValidationError) else {}
    response.data = error_body(_message(exc), path, details)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path.startswith("/health")


def json_not_found(request: HttpRequest, exception: Exception | None = None):
    """Return 404 in the envelope on API paths and Django's page elsewhere."""
    if _is_api_path(request.path):
        return JsonResponse(error_body("Not found.", request.path), status=404, json_dumps_params={"ensure_ascii": False})
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_server_error(request: HttpRequest):
    if _is_api_path(request.path):
        return JsonResponse(
            error_body("Internal server error.", request.path), status=500, json_dumps_params={"ensure_ascii": False}
        )
    from django.views.defaults import server_error

    return server_error(request)


def json_bad_request(request: HttpRequest, exception: Exception | None = None):
    if _is_api_path(request.path):
        return JsonResponse(error_body("Bad request.", request.path), status=400, json_dumps_params={"ensure_ascii": False})
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def json_permission_denied(request: HttpRequest, exception: Exception | None = None):
    if _is_api_path(request.path):
        return JsonResponse(error_body("Forbidden.", request.path), status=403, json_dumps_params={"ensure_ascii": False})
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)
