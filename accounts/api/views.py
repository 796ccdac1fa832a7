"""REST endpoints of the accounts app: registration, JWT sign-in and the profile."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts import services
from accounts.api.serializers import (
    AuthResponseSerializer,
    LoginSerializer,
    PreferencesSerializer,
    ProfileSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
)

VALIDATION_ERROR = OpenApiResponse(description="Invalid request. `error.details` names each offending field.")
UNAUTHORIZED = OpenApiResponse(description="Missing, invalid, expired or revoked token, or an inactive account.")


def _auth_response(result: services.AuthResult) -> dict[str, Any]:
    tokens = result.tokens
    return AuthResponseSerializer(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "token_type": tokens.token_type,
            "expires_in": tokens.expires_in,
            "user": result.user,
        }
    ).data


class OpenEndpoint(APIView):
    """An endpoint that needs no sign-in.

    No authentication class runs, so a stale `Authorization` header sent along does not
    turn a login or a refresh into a 401.
    """

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        # Without an authentication class, DRF turns every 401 into a 403. The header
        # names the scheme the client should use, as on the protected endpoints.
        return JWTAuthentication().authenticate_header(request)


class RegisterView(OpenEndpoint):
    """Create an account (email unique in any letter case) and return its first token pair."""

    @extend_schema(
        operation_id="auth_register",
        tags=["accounts"],
        summary="Create an account and sign it in",
        request=RegisterSerializer,
        responses={201: AuthResponseSerializer, 400: VALIDATION_ERROR},
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.register_user(**serializer.validated_data)
        return Response(_auth_response(result), status=status.HTTP_201_CREATED)


class LoginView(OpenEndpoint):
    """Exchange an email and password for a token pair; a wrong email or password alike is 401."""

    @extend_schema(
        operation_id="auth_login",
        tags=["accounts"],
        summary="Sign in with e-mail address and password",
        request=LoginSerializer,
        responses={
            200: AuthResponseSerializer,
            400: VALIDATION_ERROR,
            401: OpenApiResponse(
                description="`Invalid credentials` for an unknown address, a wrong password or an inactive account."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.log_in(request=request._request, **serializer.validated_data)
        return Response(_auth_response(result))


class RefreshView(OpenEndpoint):
    """Exchange a refresh token for a new token pair; the old refresh token stops working."""

    @extend_schema(
        operation_id="auth_refresh",
        tags=["accounts"],
        summary="Exchange a refresh token for a new token pair",
        description="The presented refresh token is blacklisted, so use the returned one next time.",
        request=RefreshTokenSerializer,
        responses={200: AuthResponseSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED},
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.refresh_tokens(serializer.validated_data["refresh_token"])
        return Response(_auth_response(result))


class LogoutView(OpenEndpoint):
    """Revoke a refresh token; access tokens expire on their own within an hour."""

    @extend_schema(
        operation_id="auth_logout",
        tags=["accounts"],
        summary="Revoke a refresh token",
        description="Access tokens already issued stay valid until they expire.",
        request=RefreshTokenSerializer,
        responses={
            204: OpenApiResponse(description="The refresh token is revoked."),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.revoke_refresh_token(serializer.validated_data["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="users_profile",
        tags=["accounts"],
        summary="The signed-in user's profile",
        responses={200: ProfileSerializer, 401: UNAUTHORIZED},
    )
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(request.user).data)


class PreferencesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="users_preferences_update",
        tags=["accounts"],
        summary="Replace the signed-in user's preferences",
        description="Keys left out take their defaults.",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED},
    )
    def put(self, request: Request) -> Response:
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored = services.update_preferences(request.user, serializer.validated_data)
        return Response(PreferencesSerializer(stored).data)
