"""The OpenAPI description of the accounts endpoints."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator(urlconf="tests.accounts.urls").get_schema(request=None, public=True)


def test_schema_lists_every_accounts_path(schema):
    assert set(schema["paths"]) >= {
        "/api/v2/auth/register",
        "/api/v2/auth/login",
        "/api/v2/auth/refresh",
        "/api/v2/auth/logout",
        "/api/v2/users/profile",
        "/api/v2/users/preferences",
    }


@pytest.mark.parametrize(
    ("path", "request_component", "status", "response_component"),
    [
        ("/api/v2/auth/register", "RegisterRequest", "201", "AuthResponse"),
        ("/api/v2/auth/login", "LoginRequest", "200", "AuthResponse"),
        ("/api/v2/auth/refresh", "RefreshTokenRequest", "200", "AuthResponse"),
    ],
)
def test_schema_describes_auth_request_and_response(schema, path, request_component, status, response_component):
    operation = schema["paths"][path]["post"]

    request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    response_ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    assert request_ref.endswith(f"/{request_component}")
    assert response_ref.endswith(f"/{response_component}")
    assert "security" in operation
    assert {} in operation["security"]


def test_schema_describes_logout_as_no_content(schema):
    operation = schema["paths"]["/api/v2/auth/logout"]["post"]

    assert "204" in operation["responses"]
    assert "content" not in operation["responses"]["204"]
    assert "401" in operation["responses"]


def test_schema_describes_profile_fields(schema):
    operation = schema["paths"]["/api/v2/users/profile"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert set(component["properties"]) == {
        "id", "email", "username", "preferences", "statistics", "achievements", "created_at", "last_login",
    }
    assert component["properties"]["preferences"]["allOf"][0]["$ref"].endswith("/Preferences")
    assert component["properties"]["statistics"]["type"] == "object"
    assert component["properties"]["achievements"]["type"] == "array"


def test_schema_states_register_limits(schema):
    component = schema["components"]["schemas"]["RegisterRequest"]

    assert component["properties"]["username"]["minLength"] == 3
    assert component["properties"]["username"]["maxLength"] == 50
    assert component["properties"]["password"]["minLength"] == 8
    assert component["properties"]["email"]["format"] == "email"
    assert set(component["required"]) == {"email", "username", "password"}
