"""Account pages: sign-up, sign-in, sign-out, password change, preferences, profile and the language switch.

The session these pages open is the one the API and the sockets also accept,
so a signed-in writer's browser can call the API with its CSRF token.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts import services
from accounts.api.serializers import PreferencesSerializer
from accounts.pages.forms import EmailAuthenticationForm, PreferencesForm, SignupForm
from accounts.pages.profile import earned_achievements, open_achievements, statistics_view
from storyengine.language import CODE_TO_PREFERENCE, PREFERENCE_TO_CODE

logger = logging.getLogger(__name__)

LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60


def set_language_cookie(response: HttpResponse, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("library")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.register_user(
                email=form.cleaned_data["email"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                preferences={"language_preference": CODE_TO_PREFERENCE.get(request.LANGUAGE_CODE, "telugu")},
            )
        except ApiValidationError:
            # Another sign-up took the address between the form's check and the insert.
            logger.info("Page sign-up lost the race for an already registered address")
            form.add_error("email", _("An account with this email address already exists. Sign in, or use another address."))
        else:
            # register_user also signs a JWT pair for API clients; the page uses the session instead.
            login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your account is ready. Write your first story."))
            return redirect("compose")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)


class LoginView(auth_views.LoginView):
    """Django's sign-in, which also switches the pages to the writer's stored language."""

    template_name = "registration/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        preference = self.request.user.get_preferences().get("language_preference")
        set_language_cookie(response, PREFERENCE_TO_CODE.get(preference, settings.LANGUAGE_CODE))
        logger.info("User %s signed in to the pages", self.request.user.pk)
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as in Django 5) and return to the sign-in page."""

    next_page = reverse_lazy("login")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    current = request.user.get_preferences()
    form = PreferencesForm(request.POST or None, initial=PreferencesForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        # The API's serializer checks the result too, so both entry points store the same shapes.
        serializer = PreferencesSerializer(data=form.preferences(current))
        if serializer.is_valid():
            stored = services.update_preferences(request.user, dict(serializer.validated_data))
            messages.success(request, _("Your preferences are saved."))
            response = redirect("preferences")
            set_language_cookie(response, PREFERENCE_TO_CODE[stored["language_preference"]])
            return response
        logger.warning("Preferences of user %s passed the form but not the serializer: %s", request.user.pk, serializer.errors)
        form.add_error(None, _("These preferences could not be saved. Check the values and try again."))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/preferences.html", {"form": form}, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "statistics": statistics_view(user.statistics),
        "achievements": earned_achievements(user.achievements),
        "open_achievements": open_achievements(user.achievements),
    }
    return render(request, "accounts/profile.html", context)


@require_POST
def switch_language(request: HttpRequest) -> HttpResponseRedirect:
    """Switch the pages between Telugu and English, for this browser and, when signed in, for the writer."""
    code = request.POST.get("language", "")
    response = redirect(_safe_next(request, reverse("home")))
    if code not in CODE_TO_PREFERENCE:
        return response

    set_language_cookie(response, code)
    if request.user.is_authenticated:
        current = request.user.get_preferences()
        services.update_preferences(request.user, {**current, "language_preference": CODE_TO_PREFERENCE[code]})
        logger.info("User %s switched the pages to %s", request.user.pk, code)
    return response
