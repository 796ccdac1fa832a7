"""The error envelope for paths and failures outside any serializer."""

from __future__ import annotations

import pytest

from storyengine.api.errors import flatten_details


@pytest.mark.django_db
def test_unknown_api_path_answers_404_envelope(owner_client):
    response = owner_client.get("/api/v2/no-such-endpoint")

    assert response.status_code == 404
    body = response.json()
    assert body["error"]["message"] == "Not found."
    assert body["error"]["details"] == {}
    assert body["error"]["path"] == "/api/v2/no-such-endpoint"


@pytest.mark.django_db
def test_wrong_method_answers_405_envelope(owner_client):
    response = owner_client.get("/api/v2/stories/generate")

    assert response.status_code == 405
    assert "GET" in response.json()["error"]["message"]


def test_flatten_details_keys_list_items_by_index():
    detail = {"emotion_focus": {1: ['"sadness" is not a valid choice.']}, "prompt": ["Too short."]}

    flat = flatten_details(detail)

    assert flat == {"emotion_focus.1": ['"sadness" is not a valid choice.'], "prompt": ["Too short."]}


def test_flatten_details_keys_nested_objects_by_field():
    detail = {"advanced_options": {"temperature": ["Too high."]}}

    assert flatten_details(detail) == {"advanced_options.temperature": ["Too high."]}
