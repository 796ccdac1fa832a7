"""The language of the pages: Telugu unless the writer asked for English.

A signed-in writer's ``language_preference`` decides, so the choice follows them
to every browser. An anonymous visitor's choice lives in the language cookie.
The browser's ``Accept-Language`` header is ignored on purpose: an English browser
setting does not show whether its user reads Telugu, and the site is
Telugu by default. The API and the health
checks stay English (``EnglishApiMiddleware``), and this middleware skips them,
so a request with a bearer token never loads a session user for its language.
Django admin stays English too: Django 5.2's Telugu admin catalog translates 103
of its 167 messages, and a half-translated tool is harder to use than an English one.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from storyengine.middleware import API_PREFIXES

ADMIN_PREFIX = "/admin/"

# ``language_preference`` values (the API's wire names) and the language codes of the pages.
PREFERENCE_TO_CODE = {"telugu": "te", "english": "en"}
CODE_TO_PREFERENCE = {code: preference for preference, code in PREFERENCE_TO_CODE.items()}


def page_language(request: HttpRequest) -> str:
    """Return the language code for a page request: the writer's preference, the cookie, or Telugu."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        preference = user.get_preferences().get("language_preference")
        if preference in PREFERENCE_TO_CODE:
            return PREFERENCE_TO_CODE[preference]
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in CODE_TO_PREFERENCE:
        return cookie
    return settings.LANGUAGE_CODE


class PageLanguageMiddleware(LocaleMiddleware):
    """Activate the language of :func:`page_language`; needs ``request.user``, so it follows AuthenticationMiddleware."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith(API_PREFIXES):
            return
        language = "en" if request.path.startswith(ADMIN_PREFIX) else page_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if request.path.startswith(API_PREFIXES):
            return response
        # Without i18n URL patterns the parent only adds Content-Language and
        # Vary: Accept-Language, but these pages depend on the cookie, not that header.
        response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Cookie",))
        return response
