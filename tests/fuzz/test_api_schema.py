"""Schema-driven fuzzing of the REST API on a live server with schemathesis.

Each operation of the project's OpenAPI document gets up to MAX_EXAMPLES
generated requests of valid data and as many of invalid data, sent by a signed-in
staff user to the live test server. No response may be a 5xx, and each must match
the document: a documented status code, content type, headers and body schema.

The operations are listed at collection time from the in-process schema; each
test then fetches the document from the live server and fuzzes its operation
from that copy. Schemathesis's own pytest integration (``from_fixture``) is not
used because version 4.32.5 sets ``Node._nodeid``, which pytest 9 no longer has.
"""

from __future__ import annotations

import re

import hypothesis
import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from schemathesis import GenerationMode

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = 25
REQUEST_TIMEOUT_SECONDS = 30
PASSWORD = "kathalu-rasina-2026"
# These operations run the real model for every accepted request: up to minutes of
# CPU each, so 25 examples per operation would take hours, and the generation limit
# would reject most of them with 429 anyway. Their validation has its own tests.
# The event stream of a story is left out too: an open stream does not end
# within the fuzzer's timeout, and its parameter checks have their own tests.
GENERATION_PATHS = re.compile(
    r"^/api/v2/stories/(generate(/stream)?|multimodal/generate|\{[^}/]+\}/(refine|events))$"
)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


def fuzzed_operations() -> list[tuple[str, str]]:
    """List (METHOD, path) of every operation in the schema except the generation ones."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if not GENERATION_PATHS.match(path)
        for method in operations
    ]


@pytest.fixture
def staff_token(live_server, django_user_model) -> str:
    response = requests.post(
        f"{live_server.url}/api/v2/auth/register",
        json={"email": "fuzz@example.com", "username": "fuzzer", "password": PASSWORD},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    assert response.status_code == 201, response.text
    # Staff reaches the validation of the staff-only operations too, which would
    # otherwise reject every request with 403 before reading it.
    django_user_model.objects.filter(email="fuzz@example.com").update(is_staff=True)
    return response.json()["access_token"]


@pytest.fixture
def known_path_parameters(staff_token, django_user_model) -> dict[str, str]:
    """Create a finished story of the fuzzing user and return path parameters that name real objects."""
    from stories.models import Story, StoryVersion

    story = Story.objects.create(
        owner=django_user_model.objects.get(email="fuzz@example.com"),
        prompt="గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం",
        target_length=150,
        status="completed",
        title="రైతు కథ",
        content="ఒక ఊరిలో ఒక పేద రైతు ఉండేవాడు. క్షమ అతని గుణం.",
        word_count=10,
        quality_score=0.7,
    )
    StoryVersion.snapshot(story).save()
    return {"story_id": str(story.pk), "number": "1", "agent_id": "writer"}


@pytest.fixture
def live_schema(live_server) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v2/openapi.json", timeout=REQUEST_TIMEOUT_SECONDS)
    schema.config.update(base_url=live_server.url, request_timeout=REQUEST_TIMEOUT_SECONDS)
    return schema


def fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    base_url: str,
    token: str,
    path_parameters: dict[str, str] | None = None,
) -> None:
    """Send up to MAX_EXAMPLES requests generated in ``mode`` and validate every response."""
    headers = {"Authorization": f"Bearer {token}"}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    # No shrinking: a failure is reported with the request that caused it, and
    # shrinking could run for minutes, past the time the CI step allows.
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def send(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    send()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("method", "path"), fuzzed_operations())
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_operation_responses_match_schema(live_server, live_schema, staff_token, method, path, mode):
    operation = live_schema[path][method]

    fuzz(operation, mode, live_server.url, staff_token)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("method", "path"), [operation for operation in fuzzed_operations() if "{" in operation[1]])
def test_existing_objects_responses_match_schema(
    live_server, live_schema, staff_token, known_path_parameters, method, path
):
    # Random path parameters almost never name an existing object, so this run pins
    # them to a real story, version and agent and varies the rest of the request.
    operation = live_schema[path][method]
    names = {parameter.name for parameter in operation.path_parameters}

    fuzz(
        operation,
        GenerationMode.POSITIVE,
        live_server.url,
        staff_token,
        {name: value for name, value in known_path_parameters.items() if name in names},
    )


def test_generation_operations_are_excluded():
    excluded = [
        path for _, path in fuzzed_operations() if "generate" in path or path.endswith(("/refine", "/events"))
    ]

    assert excluded == []
