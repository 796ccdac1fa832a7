"""The transliteration endpoint the writer pages call while a writer types."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from analysis.transliteration import MAX_LENGTH, SCHEME, to_telugu
from storyengine.api.errors import error_body


def _error(request: HttpRequest, status: int, message: str, details: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(message, request.path, details), status=status)


@require_GET
def transliterate(request: HttpRequest) -> JsonResponse:
    """Return ``{"text", "telugu", "scheme"}`` for the ``text`` query parameter.

    Only signed-in writers (the browser session) may call it. Errors (401, 400) use the
    API's JSON error envelope, because the caller is the page's script.
    """
    if not request.user.is_authenticated:
        return _error(request, 401, "Authentication required: sign in to use transliteration.")

    text = request.GET.get("text")
    if text is None or not text.strip():
        return _error(request, 400, "Invalid request: see details.", {"text": ["This parameter is required."]})
    if len(text) > MAX_LENGTH:
        return _error(
            request,
            400,
            "Invalid request: see details.",
            {"text": [f"Ensure this value has at most {MAX_LENGTH} characters (it has {len(text)})."]},
        )
    if "\x00" in text:
        return _error(request, 400, "Invalid request: see details.", {"text": ["Null characters are not allowed."]})

    return JsonResponse(
        {"text": text, "telugu": to_telugu(text), "scheme": SCHEME},
        json_dumps_params={"ensure_ascii": False},
    )
