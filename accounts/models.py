"""The user of the story engine: signs in with an e-mail address, writes under a username."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models.functions import Lower

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 50
EMAIL_MAX_LENGTH = 254


def normalize_email_address(email: str) -> str:
    """Return the address in the form it is stored and compared in: NFC, stripped, lower-cased.

    The whole address is lower-cased, local part included. RFC 5321 lets a mail server treat
    the local part as case-sensitive, but sign-in must not depend on how a writer typed it,
    and storing one form keeps the unique index usable for exact look-ups.
    """
    return unicodedata.normalize("NFC", email).strip().lower()


def normalize_username(username: str) -> str:
    """Return the username in NFC with surrounding whitespace removed."""
    return unicodedata.normalize("NFC", username).strip()


def default_preferences() -> dict[str, Any]:
    """Return the preferences of a new user, one key for each setting a writer can change."""
    return {
        "preferred_story_types": [],
        "cultural_contexts": [],
        "emotion_preferences": [],
        "language_preference": "telugu",
        "quality_threshold": 0.8,
        "notification_settings": {},
    }


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by their normalized e-mail address."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Django's ModelBackend passes the e-mail typed at sign-in here as `username`.
        return self.get(email=normalize_email_address(username or ""))

    def _create(self, email: str, username: str, password: str | None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("create_user() needs an e-mail address: pass email='name@example.com'.")
        if not username:
            raise ValueError("create_user() needs a username of 3 to 50 characters.")
        user = self.model(email=normalize_email_address(email), username=normalize_username(username), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, username: str, password: str | None = None, **extra_fields: Any) -> User:
        """Create an active user without staff rights. A None password makes the password unusable."""
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create(email, username, password, **extra_fields)

    def create_superuser(self, email: str, username: str, password: str | None = None, **extra_fields: Any) -> User:
        """Create a user with staff and superuser rights."""
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True:
            raise ValueError("create_superuser() needs is_staff=True.")
        if extra_fields["is_superuser"] is not True:
            raise ValueError("create_superuser() needs is_superuser=True.")
        return self._create(email, username, password, **extra_fields)


class User(AbstractUser):
    """A writer or an admin.

    The e-mail address is the sign-in key and is unique regardless of letter case. The
    username is a display name that two writers may share, the way two people share a
    name, so it is not unique and never used to sign in.
    """

    email = models.EmailField("email address", max_length=EMAIL_MAX_LENGTH, unique=True)
    username = models.CharField(
        max_length=USERNAME_MAX_LENGTH,
        validators=[MinLengthValidator(USERNAME_MIN_LENGTH)],
        help_text="Display name, 3 to 50 characters; need not be unique.",
    )
    preferences = models.JSONField(default=default_preferences, blank=True)
    # Filled by the story job after each story, so this app never reads stories.
    statistics = models.JSONField(default=dict, blank=True)
    achievements = models.JSONField(default=list, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects = UserManager()

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            # Writes that bypass the manager and the forms (raw creates, updates, imports)
            # can still store a mixed-case copy of an address. This index rejects it.
            # SQLite's LOWER() folds ASCII letters only.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email_address(self.email or "")
        self.username = normalize_username(self.username or "")
        # An admin form submitted with an emptied JSON box yields None, which the
        # NOT NULL columns reject.
        if self.preferences is None:
            self.preferences = default_preferences()
        if self.statistics is None:
            self.statistics = {}
        if self.achievements is None:
            self.achievements = []

    def get_preferences(self) -> dict[str, Any]:
        """Return the stored preferences completed with the default of every missing key."""
        return {**default_preferences(), **(self.preferences or {})}
