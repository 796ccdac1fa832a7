"""OpenAPI generation: the error responses of every operation and the v2-only path list.

``ApiAutoSchema`` is DRF's ``DEFAULT_SCHEMA_CLASS``; the hooks are listed in
``SPECTACULAR_SETTINGS``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry

from storyengine.api.errors import ErrorEnvelopeSerializer

V1_PREFIX = "/api/v1/"

ERROR_DESCRIPTIONS = {
    "400": (
        "Invalid request: malformed JSON, or a field or query parameter failed validation. "
        "`error.details` maps each offending field (list items by index, such as `emotion_focus.1`) "
        "to its messages."
    ),
    "401": "Missing, malformed, expired or revoked access token, or a deactivated account.",
    "403": (
        "Signed in but not allowed: a staff-only operation, another user's private object where "
        "the operation says so, or a session request without its CSRF token."
    ),
    "404": "No such object, or one that belongs to another user.",
    "429": (
        "Over the per-user limit on requests that start a model job (`STORYENGINE_GENERATION_RATE`, "
        "10 per minute by default), shared by every generation transport and refinement. Every "
        "authenticated request counts, including one that fails validation."
    ),
    "5XX": (
        "500 for an unexpected server error (the body never contains a traceback), or 503 when a "
        "dependency such as the model cannot take the request now."
    ),
}

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request is accepted.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's inspector plus the error responses each operation can return.

    Every operation gets the error envelope for each error its view can raise.
    That is 400 when it takes a body or parameters, 401 and 403 when it needs a
    signed-in user, 404 when its path names an object, 429 when a throttle guards
    it, and 5XX always. A code the view already declares keeps its description and
    gains the envelope as its body.
    """

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None

        envelope = self.resolve_serializer(ErrorEnvelopeSerializer, "response").ref
        responses: dict[str, Any] = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = {"description": ERROR_DESCRIPTIONS[code]}
            response = responses[code]
            if "content" not in response:
                response["content"] = {"application/json": {"schema": envelope}}
            if code == "429":
                response.setdefault("headers", {}).update(RETRY_AFTER_HEADER)

        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        parameters = operation.get("parameters", [])
        needs_sign_in = {} not in operation.get("security", [{}])

        codes = []
        if parameters or "requestBody" in operation:
            codes.append("400")
        if needs_sign_in:
            codes.extend(["401", "403"])
        if any(parameter["in"] == "path" for parameter in parameters):
            codes.append("404")
        if self.view.get_throttles():
            codes.append("429")
        codes.append("5XX")
        # Error codes the view declared itself, such as 401 on login, get the envelope too.
        codes.extend(code for code in operation["responses"] if code[0] in "45" and code not in codes)
        return codes


def exclude_v1_alias(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Drop the ``/api/v1/`` copies of the v2 routes so the document describes v2 once."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith(V1_PREFIX)]


def describe_security_schemes(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Add descriptions to the JWT bearer and session schemes drf-spectacular registers."""
    schemes = result.get("components", {}).get("securitySchemes", {})
    if "jwtAuth" in schemes:
        schemes["jwtAuth"]["description"] = (
            "The access token from `auth/register`, `auth/login` or `auth/refresh`, sent as "
            "`Authorization: Bearer <token>`; it expires 3600 s after it was issued."
        )
    if "cookieAuth" in schemes:
        schemes["cookieAuth"]["description"] = (
            "The browser session of the site's pages; unsafe methods also need the CSRF token."
        )
    return result
