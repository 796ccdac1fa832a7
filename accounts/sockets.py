"""Authentication of WebSocket connections: an access JWT in the ``token`` query parameter, or the session.

A connection that fails authentication is accepted and closed at once with code
1008 (policy violation), with no message sent. Closing before the accept would
reach browsers as a bare 1006, which gives a client no reason.

Rules:

- With a ``token`` parameter, only the token counts. It is checked exactly as the
  REST API checks a bearer token (signature, expiry, token type, an existing and
  active user), so a bad token is rejected even when a session cookie came along.
- Without one, the Django session counts, but only from a browser page of an
  allowed origin (``ALLOWED_HOSTS`` or ``CORS_ALLOWED_ORIGINS``) or from a client
  that sends no ``Origin`` header. Browsers send the session cookie on WebSocket
  handshakes from any site, so this check is what stops another site from opening
  a socket as the signed-in writer (cross-site WebSocket hijacking). A token is no
  ambient credential, so token connections are accepted from any origin, as
  API clients and other sites' scripts need.

The token is never logged: log lines name the path (without its query string)
and the reason only.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.auth import get_user as get_session_user
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from channels.sessions import SessionMiddlewareStack
from django.conf import settings
from django.utils import translation
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

logger = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
TOKEN_PARAMETER = "token"


class SocketRejected(Exception):
    """The connection cannot be authenticated. The message gives the reason and never the token."""


def _query_token(scope: dict[str, Any]) -> str | None:
    """Return the ``token`` query parameter, or None when absent; raise SocketRejected when repeated."""
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query, keep_blank_values=True).get(TOKEN_PARAMETER)
    if values is None:
        return None
    if len(values) != 1:
        raise SocketRejected("more than one token parameter")
    return values[0]


def _user_for_token(raw_token: str):
    """Return the active user of a valid access token, with the REST API's own checks."""
    authentication = JWTAuthentication()
    try:
        validated = authentication.get_validated_token(raw_token)
        return authentication.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed) as exc:
        # simplejwt's messages name the failed check (expired, wrong type, user
        # inactive or not found) and never include the token itself. They are
        # translatable, and logs are in English.
        with translation.override("en"):
            reason = _first_message(exc)
        raise SocketRejected(f"token rejected: {reason}") from None


def _first_message(exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        messages = detail.get("messages")
        if messages:
            return str(messages[0].get("message", detail.get("detail", "")))
        return str(detail.get("detail", ""))
    return str(detail if detail is not None else exc)


def _origin(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin-1")
    return None


def session_origin_allowed(origin: str | None) -> bool:
    """Return whether a session-authenticated socket may come from ``origin``.

    No ``Origin`` header means a client that is not a browser, which cannot be
    made to send another site's cookie. Otherwise the origin's host must match
    ``ALLOWED_HOSTS`` (any scheme and port) or the origin must be one of
    ``CORS_ALLOWED_ORIGINS`` (scheme, host and port).
    """
    if origin is None:
        return True
    allowed = [*settings.ALLOWED_HOSTS, *getattr(settings, "CORS_ALLOWED_ORIGINS", [])]
    validator = OriginValidator(None, allowed)
    return validator.valid_origin(urlparse(origin))


async def authenticate_socket(scope: dict[str, Any]):
    """Return the user a WebSocket connection authenticates as; raise SocketRejected otherwise."""
    raw_token = _query_token(scope)
    if raw_token is not None:
        if not raw_token:
            raise SocketRejected("empty token parameter")
        return await database_sync_to_async(_user_for_token)(raw_token)

    user = await get_session_user(scope)
    if not user.is_authenticated:
        raise SocketRejected("no token parameter and no signed-in session")
    if not user.is_active:
        raise SocketRejected(f"session user {user.pk} is inactive")
    if not session_origin_allowed(_origin(scope)):
        raise SocketRejected("session used from an origin that is not allowed")
    return user


async def close_with_policy_violation(receive, send) -> None:
    """Accept the connection, close it at once with 1008 sending no message, and wait for the disconnect.

    Returning before the disconnect would leave daphne 4.2.3 with a connection
    whose application is gone, which fails its shutdown with a KeyError.
    """
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": POLICY_VIOLATION})
    while message["type"] != "websocket.disconnect":
        message = await receive()


class SocketAuthMiddleware(BaseMiddleware):
    """Puts the authenticated user into ``scope["user"]`` or closes the socket with 1008.

    The consumers below it can rely on an active, signed-in user. Needs the
    session middleware above it (see :func:`SocketAuthMiddlewareStack`).
    """

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)

        try:
            user = await authenticate_socket(scope)
        except SocketRejected as exc:
            logger.info("WebSocket %s closed with 1008: %s", scope.get("path", ""), exc)
            return await close_with_policy_violation(receive, send)

        return await super().__call__({**scope, "user": user}, receive, send)


def SocketAuthMiddlewareStack(inner):  # noqa: N802 - named like channels' AuthMiddlewareStack
    """Wrap ``inner`` with cookies, the session and :class:`SocketAuthMiddleware`."""
    return SessionMiddlewareStack(SocketAuthMiddleware(inner))
