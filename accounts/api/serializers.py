"""Request and response bodies of the accounts endpoints."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import (
    EMAIL_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    USERNAME_MIN_LENGTH,
    User,
    default_preferences,
    normalize_email_address,
    normalize_username,
)
from accounts.services import EMAIL_TAKEN
from storyengine.api.fields import StrictFloatField
from storyengine.vocabulary import CulturalContext, Rasa, StoryType

PASSWORD_MIN_LENGTH = 8
# Room for any passphrase. The bound keeps arbitrarily large strings away from the
# password hasher and validators.
PASSWORD_MAX_LENGTH = 128
PREFERENCE_LIST_MAX_ITEMS = 20
LANGUAGES = ("telugu", "english")
DEFAULT_PREFERENCES = default_preferences()


def _choice_list(choices: list[tuple[str, Any]]) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices),
        max_length=PREFERENCE_LIST_MAX_ITEMS,
        required=False,
        default=list,
    )


class PreferencesSerializer(serializers.Serializer):
    """A writer's preferences. Every key is optional and unknown keys are rejected."""

    preferred_story_types = _choice_list(StoryType.choices)
    cultural_contexts = _choice_list(CulturalContext.choices)
    emotion_preferences = _choice_list(Rasa.choices)
    language_preference = serializers.ChoiceField(
        choices=LANGUAGES, required=False, default=DEFAULT_PREFERENCES["language_preference"]
    )
    quality_threshold = StrictFloatField(
        min_value=0.0,
        max_value=1.0,
        required=False,
        default=DEFAULT_PREFERENCES["quality_threshold"],
        help_text="Lowest quality score, from 0 to 1, that the writer accepts.",
    )
    notification_settings = serializers.DictField(
        child=serializers.BooleanField(),
        required=False,
        default=dict,
        help_text="Notification kind to on or off, for example {\"story_completed\": true}.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                known = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {key: [f"Unknown preference {key!r}: use one of {known}."] for key in unknown}
                )
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("preferred_story_types", "cultural_contexts", "emotion_preferences"):
            # Keep the first occurrence of each value, in the order given.
            attrs[name] = list(dict.fromkeys(attrs[name]))
        return attrs


class StrictCharField(serializers.CharField):
    """A CharField that takes only JSON strings, not numbers, and normalizes them to NFC."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(unicodedata.normalize("NFC", data))


class StrictEmailField(serializers.EmailField):
    """An EmailField that takes only JSON strings and returns the normalized address."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return normalize_email_address(super().to_internal_value(unicodedata.normalize("NFC", data)))


class PasswordField(serializers.CharField):
    """A password taken exactly as typed, without trimming or normalization."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", PASSWORD_MAX_LENGTH)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(write_only=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RegisterSerializer(serializers.Serializer):
    """POST auth/register."""

    email = StrictEmailField(max_length=EMAIL_MAX_LENGTH)
    username = StrictCharField(min_length=USERNAME_MIN_LENGTH, max_length=USERNAME_MAX_LENGTH)
    password = PasswordField(min_length=PASSWORD_MIN_LENGTH)
    preferences = PreferencesSerializer(required=False)

    def validate_email(self, value: str) -> str:
        if User.objects.filter(email=value).exists():
            raise serializers.ValidationError(EMAIL_TAKEN)
        return value

    def validate_username(self, value: str) -> str:
        value = normalize_username(value)
        if any(unicodedata.category(character) == "Cc" for character in value):
            raise serializers.ValidationError(
                "Invalid username: remove control characters such as tabs and line breaks."
            )
        return value

    def validate_password(self, value: str) -> str:
        # Django's similarity check compares the password with the address and the
        # username as sent, so password errors come back together with theirs.
        email, username = self.initial_data.get("email"), self.initial_data.get("username")
        candidate = User(
            email=email if isinstance(email, str) else "",
            username=username if isinstance(username, str) else "",
        )
        try:
            password_validation.validate_password(value, user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError(list(error.messages)) from error
        return value


class LoginSerializer(serializers.Serializer):
    """POST auth/login.

    The address is not checked for form, because a malformed one matches no account and
    gets the same 401 as an unknown one.
    """

    email = StrictCharField(max_length=EMAIL_MAX_LENGTH)
    password = PasswordField()


class RefreshTokenSerializer(serializers.Serializer):
    """POST auth/refresh and auth/logout."""

    refresh_token = StrictCharField()


def _counts(description: str) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "integer"}, "description": description}


# An inline schema with no required keys, because a user who has not finished a
# story yet has an empty object.
STATISTICS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Totals over the user's finished stories, updated by the story job after each story.",
    "properties": {
        "stories_total": {"type": "integer", "description": "Completed plus failed stories."},
        "stories_completed": {"type": "integer"},
        "stories_failed": {"type": "integer"},
        "words_written": {"type": "integer", "description": "Sum of the word counts of the completed stories."},
        "mean_quality_score": {
            "type": "number",
            "nullable": True,
            "description": (
                "Mean quality score (0 to 1) of the completed stories, kept as a running mean: after the n-th "
                "completed story with score q, mean_n = mean_(n-1) + (q - mean_(n-1)) / n. Null before the first."
            ),
        },
        "story_types": _counts("Completed stories per story type."),
        "cultural_contexts": _counts("Completed stories per cultural context."),
        "rasas_used": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Each rasa that scored above 0 in at least one completed story, in the enumeration's order.",
        },
        "total_generation_seconds": {
            "type": "number",
            "description": "Seconds the generation jobs of the completed and failed stories took.",
        },
        "last_story_at": {
            "type": "string",
            "format": "date-time",
            "nullable": True,
            "description": "When the latest story finished.",
        },
    },
}


class AchievementSerializer(serializers.Serializer):
    """An achievement the user has earned; each is awarded once."""

    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(help_text="The rule that awards it.")
    achieved_at = serializers.DateTimeField()


class ProfileSerializer(serializers.Serializer):
    """The signed-in user as the API shows them."""

    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    username = serializers.CharField(read_only=True, help_text="Display name; several users may share one.")
    preferences = serializers.SerializerMethodField()
    statistics = serializers.SerializerMethodField()
    achievements = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="date_joined", read_only=True)
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(PreferencesSerializer)
    def get_preferences(self, user: User) -> dict[str, Any]:
        return user.get_preferences()

    # The stored JSON is returned as it is, so keys an admin added by hand stay visible.
    @extend_schema_field(STATISTICS_SCHEMA)
    def get_statistics(self, user: User) -> dict[str, Any]:
        return user.statistics or {}

    @extend_schema_field(AchievementSerializer(many=True))
    def get_achievements(self, user: User) -> list[dict[str, Any]]:
        return user.achievements or []


class AuthResponseSerializer(serializers.Serializer):
    """The tokens and profile returned by register, login and refresh."""

    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(help_text="Always `bearer`.")
    expires_in = serializers.IntegerField(help_text="Lifetime of the access token in seconds.")
    user = ProfileSerializer()
