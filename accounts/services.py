"""Registration, sign-in, the life cycle of JWT pairs, and the writer's story statistics.

Refresh tokens are single-use. Refreshing blacklists the presented token and issues a new
pair, and logout blacklists the token without a replacement. A token is accepted only
while its user exists and is active.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User, default_preferences
from accounts.statistics import StoryResult, StoryStatistics, award_achievements

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Invalid credentials"
INVALID_REFRESH_TOKEN = "Refresh token is invalid, expired or revoked: sign in again."
EMAIL_TAKEN = "A user with this email address already exists: sign in or use another address."


@dataclass(frozen=True)
class TokenPair:
    """A freshly signed access token and the refresh token that replaces it."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


@dataclass(frozen=True)
class AuthResult:
    """The signed-in user and the tokens issued to them."""

    user: User
    tokens: TokenPair


def access_token_lifetime_seconds() -> int:
    """Return SIMPLE_JWT's ACCESS_TOKEN_LIFETIME in whole seconds."""
    return int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds())


def issue_tokens(user: User) -> TokenPair:
    """Sign a new refresh token for the user, record it as outstanding, and derive its access token."""
    refresh = RefreshToken.for_user(user)
    return TokenPair(
        access_token=str(refresh.access_token),
        refresh_token=str(refresh),
        token_type="bearer",
        expires_in=access_token_lifetime_seconds(),
    )


def _record_login(user: User) -> None:
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])


def register_user(
    email: str, username: str, password: str, preferences: dict[str, Any] | None = None
) -> AuthResult:
    """Create an account from validated input, sign it in and return its first token pair.

    The input must have passed RegisterSerializer. The unique index on the address decides
    between two concurrent registrations of one address, and the loser gets a 400 naming `email`.
    """
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                username=username,
                password=password,
                preferences={**default_preferences(), **(preferences or {})},
            )
    except IntegrityError as error:
        # The database error text contains the address, so it stays out of the log.
        logger.info("Rejected a registration that lost the race for an already registered address")
        raise exceptions.ValidationError({"email": [EMAIL_TAKEN]}) from error

    _record_login(user)
    logger.info("Registered user %s", user.pk)
    return AuthResult(user=user, tokens=issue_tokens(user))


def log_in(email: str, password: str, request: HttpRequest | None = None) -> AuthResult:
    """Check the credentials, record the login time and return a new token pair.

    An unknown address, a wrong password and an inactive account all raise the same 401,
    so the response does not reveal which addresses have accounts.
    """
    user = authenticate(request, email=email, password=password)
    if user is None:
        raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS)

    _record_login(user)
    logger.info("User %s signed in", user.pk)
    return AuthResult(user=user, tokens=issue_tokens(user))


def _parse_refresh_token(raw_token: str) -> RefreshToken:
    """Return the verified refresh token or raise 401 when it is malformed, expired or blacklisted."""
    try:
        return RefreshToken(raw_token)
    except TokenError as error:
        raise exceptions.AuthenticationFailed(INVALID_REFRESH_TOKEN) from error


def _active_token_user(token: RefreshToken) -> User:
    """Return the active user the token was issued to, or raise 401 when it is gone or deactivated."""
    user_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first() if user_id is not None else None
    if user is None or not user.is_active:
        raise exceptions.AuthenticationFailed(INVALID_REFRESH_TOKEN)
    return user


def _blacklist_once(token: RefreshToken) -> None:
    """Blacklist the token, raising 401 when another request blacklisted it first.

    The one-to-one key from BlacklistedToken to OutstandingToken admits one row per token,
    so of two concurrent requests presenting the same token exactly one gets `created`.
    """
    # simplejwt 5.5.1 annotates blacklist() as returning the row, but it returns the
    # (row, created) pair of get_or_create.
    _blacklisted, created = token.blacklist()
    if not created:
        raise exceptions.AuthenticationFailed(INVALID_REFRESH_TOKEN)


def refresh_tokens(raw_token: str) -> AuthResult:
    """Exchange a refresh token for a new pair and blacklist the old refresh token.

    Raises 401 when the token is malformed, expired, already used or revoked, or when its
    user was deleted or deactivated.
    """
    token = _parse_refresh_token(raw_token)
    user = _active_token_user(token)

    with transaction.atomic():
        _blacklist_once(token)
        tokens = issue_tokens(user)

    logger.info("Rotated the refresh token of user %s", user.pk)
    return AuthResult(user=user, tokens=tokens)


def revoke_refresh_token(raw_token: str) -> None:
    """Blacklist a refresh token so that it can no longer be exchanged.

    Raises 401 when the token is malformed, expired or already revoked. The token of a
    deactivated or deleted user is still revoked, because revoking only takes access away
    and keeps the token dead if the account is reactivated later.
    """
    token = _parse_refresh_token(raw_token)

    with transaction.atomic():
        _blacklist_once(token)

    logger.info("Revoked a refresh token of user %s", token.payload.get(jwt_settings.USER_ID_CLAIM))


def update_preferences(user: User, preferences: dict[str, Any]) -> dict[str, Any]:
    """Replace the user's preferences with validated values, and missing keys take their defaults."""
    user.preferences = {**default_preferences(), **preferences}
    user.save(update_fields=["preferences"])
    return user.preferences


def record_story_result(
    user_id: int,
    *,
    status: str,
    story_type: str,
    cultural_context: str,
    word_count: int = 0,
    quality_score: float | None = None,
    emotions: Iterable[str] = (),
    generation_seconds: float,
) -> list[dict[str, Any]]:
    """Add a finished story to its writer's statistics and award the achievements it earns.

    ``status`` is ``completed`` or ``failed``, and ``emotions`` lists the rasas that scored
    above 0. Returns the newly earned achievements. The user row stays locked from
    reading the totals to saving them, so two stories finishing at once both count.
    A deleted user is skipped with a warning. Raises ValueError for invalid values.
    """
    result = StoryResult(
        status=status,
        story_type=story_type,
        cultural_context=cultural_context,
        word_count=word_count,
        quality_score=quality_score,
        emotions=tuple(dict.fromkeys(emotions)),
        generation_seconds=generation_seconds,
        finished_at=timezone.localtime(),
    )

    with transaction.atomic():
        user = User.objects.select_for_update().only("id", "statistics", "achievements").filter(pk=user_id).first()
        if user is None:
            logger.warning("Skipped the statistics of a %s story: user %s no longer exists", status, user_id)
            return []
        statistics = StoryStatistics.from_json(user.statistics)
        statistics.add(result)
        earned = list(user.achievements or [])
        new_achievements = award_achievements(earned, statistics, result)
        user.statistics = {**(user.statistics or {}), **statistics.to_json()}
        user.achievements = earned + new_achievements
        user.save(update_fields=["statistics", "achievements"])

    logger.info(
        "Recorded a %s story for user %s (%d completed in total, new achievements: %s)",
        status,
        user_id,
        statistics.stories_completed,
        ", ".join(item["id"] for item in new_achievements) or "none",
    )
    return new_achievements
