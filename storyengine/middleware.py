"""Request middleware of the whole site."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

API_PREFIXES = ("/api/", "/health")


class EnglishApiMiddleware:
    """Activate English for API and health requests, whatever the site's language.

    The API's clients are programs, so its messages (including Django's and DRF's
    translated validation messages) stay English while the pages speak Telugu.
    Must come after LocaleMiddleware, which activates the visitor's language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIXES):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
        return self.get_response(request)
