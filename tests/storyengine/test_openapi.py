"""The OpenAPI document: every v2 route, its errors and security, and the public docs pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

V2 = "api/v2/"
DOC_ROUTES = {"openapi.json", "docs", "redoc"}
WRITE_METHODS = {"post", "put", "patch"}
# Operations that take no request body by design.
BODILESS = {("post", "/api/v2/stories/{story_id}/cancel")}
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def walk(patterns, prefix: str = "") -> Iterator[tuple[str, object]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def v2_operations() -> list[tuple[str, str]]:
    """List (method, OpenAPI path) for every view method routed under /api/v2/."""
    operations = []
    for route, callback in walk(get_resolver().url_patterns):
        if not route.startswith(V2) or route.removeprefix(V2) in DOC_ROUTES:
            continue
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        assert view_class is not None, f"/{route} is a function view; the schema cannot describe it"
        openapi_path = "/" + CONVERTER.sub(r"{\1}", route)
        for method in view_class.http_method_names:
            if method not in {"options", "head"} and hasattr(view_class, method):
                operations.append((method, openapi_path))
    return operations


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/v2/openapi.json")
    assert response.status_code == 200, response.content
    return response.json()


def envelope_ref(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"]


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_schema_lists_every_v2_route(schema):
    operations = v2_operations()
    assert operations

    for method, path in operations:
        assert path in schema["paths"], f"{path} missing from the schema"
        assert method in schema["paths"][path], f"{method.upper()} {path} missing from the schema"


def test_schema_describes_v2_only(schema):
    assert all(path.startswith("/api/v2/") for path in schema["paths"])


@pytest.mark.parametrize(("method", "path"), v2_operations())
def test_operation_has_request_and_response_schemas(schema, method, path):
    operation = schema["paths"][path][method]

    if method in WRITE_METHODS and (method, path) not in BODILESS:
        assert "requestBody" in operation, f"{method.upper()} {path} has no request body"
        assert operation["requestBody"]["content"], f"{method.upper()} {path} has an empty request body"
    successes = {code: response for code, response in operation["responses"].items() if code.startswith("2")}
    assert successes, f"{method.upper()} {path} has no 2xx response"
    for code, response in successes.items():
        if code != "204":
            assert response.get("content"), f"{method.upper()} {path} {code} has no response schema"


@pytest.mark.parametrize(("method", "path"), v2_operations())
def test_operation_documents_its_errors(schema, method, path):
    operation = schema["paths"][path][method]
    responses = operation["responses"]
    signed_in = {} not in operation.get("security", [{}])

    assert "5XX" in responses
    if signed_in:
        assert {"401", "403"} <= set(responses)
    if "{" in path:
        assert "404" in responses
    if "requestBody" in operation or operation.get("parameters"):
        assert "400" in responses
    for code, response in responses.items():
        if code[0] in "45":
            assert envelope_ref(response) == "#/components/schemas/ErrorEnvelope", f"{code} of {method} {path}"


def test_generation_documents_429_with_retry_after(schema):
    response = schema["paths"]["/api/v2/stories/generate"]["post"]["responses"]["429"]

    assert envelope_ref(response) == "#/components/schemas/ErrorEnvelope"
    assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_error_envelope_component_matches_contract(schema):
    components = schema["components"]["schemas"]
    body = components["ErrorBody"]

    assert components["ErrorEnvelope"]["properties"]["error"]["$ref"] == "#/components/schemas/ErrorBody"
    assert components["ErrorEnvelope"]["required"] == ["error"]
    assert set(body["properties"]) == {"message", "details", "timestamp", "path"}
    assert set(body["required"]) == {"message", "details", "timestamp", "path"}
    assert body["properties"]["details"]["type"] == "object"
    assert body["properties"]["timestamp"]["format"] == "date-time"


def test_schema_declares_jwt_bearer_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["jwtAuth"]

    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert scheme["bearerFormat"] == "JWT"
    assert {"jwtAuth": []} in schema["paths"]["/api/v2/users/profile"]["get"]["security"]


@pytest.mark.parametrize("path", ["/api/v2/openapi.json", "/api/v2/docs", "/api/v2/redoc"])
def test_docs_pages_need_no_sign_in(anonymous_client, path):
    response = anonymous_client.get(path)

    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("path", ["/api/v2/openapi.json", "/api/v2/docs", "/api/v2/redoc"])
def test_docs_pages_ignore_expired_token(anonymous_client, path):
    anonymous_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-valid-token")

    response = anonymous_client.get(path)

    assert response.status_code == 200


def test_swagger_page_points_at_schema(anonymous_client):
    response = anonymous_client.get("/api/v2/docs")

    page = response.content.decode()
    assert response.headers["Content-Type"].startswith("text/html")
    assert "/api/v2/openapi.json" in page
    assert "SwaggerUIBundle" in page


def test_redoc_page_points_at_schema(anonymous_client):
    response = anonymous_client.get("/api/v2/redoc")

    page = response.content.decode()
    assert response.headers["Content-Type"].startswith("text/html")
    assert "/api/v2/openapi.json" in page
    assert "redoc" in page.lower()


def test_declared_error_gets_envelope(db):
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator(urlconf="tests.storyengine.urls").get_schema(request=None, public=True)
    responses = document["paths"]["/api/v2/test/conflict"]["post"]["responses"]

    assert responses["409"]["description"] == "Already finished."
    assert envelope_ref(responses["409"]) == "#/components/schemas/ErrorEnvelope"
    assert "400" not in responses
    assert "404" not in responses


def test_bench_view_is_not_mounted_by_default(anonymous_client, settings):
    assert settings.STORYENGINE_BENCH_VIEWS is False

    assert anonymous_client.get("/bench/json").status_code == 404
