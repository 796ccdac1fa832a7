"""Forms of the account pages; their messages are translated, unlike the API's."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.api.serializers import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PREFERENCE_LIST_MAX_ITEMS
from accounts.models import (
    EMAIL_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    USERNAME_MIN_LENGTH,
    User,
    normalize_email_address,
    normalize_username,
)
from storyengine.vocabulary import CulturalContext, Rasa, StoryType

LANGUAGE_CHOICES = [("telugu", _("Telugu")), ("english", _("English"))]

# Notification kinds a writer can switch on the preferences page; other keys
# set through the API are kept as they are.
NOTIFICATION_KINDS = {"story_completed": _("Tell me when a story is finished")}


class SignupForm(forms.Form):
    """Sign-up with the rules of POST auth/register: a unique address, a 3-50 character name, a strong password."""

    email = forms.EmailField(label=_("Email address"), max_length=EMAIL_MAX_LENGTH)
    username = forms.CharField(
        label=_("Name shown on your stories"),
        min_length=USERNAME_MIN_LENGTH,
        max_length=USERNAME_MAX_LENGTH,
        help_text=_("3 to 50 characters, in any script. Other writers may share it."),
    )
    password = forms.CharField(
        label=_("Password"),
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only digits and not a common password."),
    )

    def clean_email(self) -> str:
        email = normalize_email_address(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise ValidationError(
                _("An account with this email address already exists. Sign in, or use another address."),
                code="email_taken",
            )
        return email

    def clean_username(self) -> str:
        username = normalize_username(self.cleaned_data["username"])
        if any(unicodedata.category(character) == "Cc" for character in username):
            raise ValidationError(_("Remove tabs and line breaks from the name."), code="control_characters")
        if len(username) < USERNAME_MIN_LENGTH:
            raise ValidationError(_("The name needs at least 3 characters."), code="too_short")
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email", ""), username=cleaned.get("username", ""))
            try:
                password_validation.validate_password(password, user=candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for an email address and with translated errors."""

    error_messages = {
        "invalid_login": _("The email address or the password is wrong. Check both and try again."),
        "inactive": _("This account is switched off. Ask the site's administrator."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
        self.fields["password"].label = _("Password")


def _multiple_choice(label: str, choices: list[tuple[str, Any]]) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class PreferencesForm(forms.Form):
    """The preferences of PUT users/preferences, with the same choices and bounds."""

    preferred_story_types = _multiple_choice(_("Story types you like"), StoryType.choices)
    cultural_contexts = _multiple_choice(_("Cultural settings you like"), CulturalContext.choices)
    emotion_preferences = _multiple_choice(_("Rasas you like"), Rasa.choices)
    language_preference = forms.ChoiceField(label=_("Language of the site"), choices=LANGUAGE_CHOICES)
    quality_threshold = forms.FloatField(
        label=_("Lowest quality score you accept"),
        min_value=0.0,
        max_value=1.0,
        help_text=_("A number from 0 to 1, such as 0.8."),
        widget=forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "1", "inputmode": "decimal"}),
    )
    story_completed = forms.BooleanField(label=NOTIFICATION_KINDS["story_completed"], required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in ("preferred_story_types", "cultural_contexts", "emotion_preferences"):
            values = cleaned.get(name)
            if values is not None and len(values) > PREFERENCE_LIST_MAX_ITEMS:
                self.add_error(name, _("Choose at most 20."))
        return cleaned

    @classmethod
    def initial_from(cls, preferences: dict[str, Any]) -> dict[str, Any]:
        notifications = preferences.get("notification_settings") or {}
        return {
            "preferred_story_types": preferences["preferred_story_types"],
            "cultural_contexts": preferences["cultural_contexts"],
            "emotion_preferences": preferences["emotion_preferences"],
            "language_preference": preferences["language_preference"],
            "quality_threshold": preferences["quality_threshold"],
            "story_completed": bool(notifications.get("story_completed", False)),
        }

    def preferences(self, current: dict[str, Any]) -> dict[str, Any]:
        """Return the preferences to store, in the API's shape, keeping notification kinds this page does not show."""
        notifications = dict(current.get("notification_settings") or {})
        for kind in NOTIFICATION_KINDS:
            notifications[kind] = self.cleaned_data[kind]
        return {
            "preferred_story_types": self.cleaned_data["preferred_story_types"],
            "cultural_contexts": self.cleaned_data["cultural_contexts"],
            "emotion_preferences": self.cleaned_data["emotion_preferences"],
            "language_preference": self.cleaned_data["language_preference"],
            "quality_threshold": self.cleaned_data["quality_threshold"],
            "notification_settings": notifications,
        }
