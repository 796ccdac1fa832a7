"""Gzip for responses over STORYENGINE_GZIP_MIN_BYTES, never for event streams."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler

from tests.storyengine import urls as test_urls

pytestmark = pytest.mark.urls("tests.storyengine.urls")


def test_json_over_threshold_is_gzipped(client, settings):
    size = settings.STORYENGINE_GZIP_MIN_BYTES + 1

    response = client.get(f"/api/v2/test/json/{size}", HTTP_ACCEPT_ENCODING="gzip, deflate")

    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert len(gzip.decompress(response.content)) == size


def test_json_at_threshold_is_not_gzipped(client, settings):
    size = settings.STORYENGINE_GZIP_MIN_BYTES

    response = client.get(f"/api/v2/test/json/{size}", HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in response.headers
    assert len(response.content) == size


def test_json_of_600_bytes_is_not_gzipped(client):
    # Django's own middleware compresses from 200 bytes.
    response = client.get("/api/v2/test/json/600", HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in response.headers
    assert len(response.content) == 600


def test_client_without_gzip_gets_plain_json(client):
    response = client.get("/api/v2/test/json/5000")

    assert "Content-Encoding" not in response.headers
    assert len(response.content) == 5000


@pytest.mark.django_db
def test_schema_document_is_gzipped(client):
    plain = client.get("/api/v2/openapi.json")
    compressed = client.get("/api/v2/openapi.json", HTTP_ACCEPT_ENCODING="gzip")

    assert compressed.headers["Content-Encoding"] == "gzip"
    assert len(compressed.content) < len(plain.content)
    assert json.loads(gzip.decompress(compressed.content))["openapi"].startswith("3.")


def test_small_health_answer_is_not_gzipped(client):
    response = client.get("/health", HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


def _http_scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept-encoding", b"gzip, deflate, br")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def test_event_stream_is_not_buffered():
    gate = asyncio.Event()
    test_urls.STREAM_GATE.event = gate
    communicator = ApplicationCommunicator(ASGIHandler(), _http_scope("/api/v2/test/events"))
    try:
        await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})

        start = await communicator.receive_output(timeout=10)
        headers = dict(start["headers"])
        assert start["status"] == 200
        assert headers[b"Content-Type"].startswith(b"text/event-stream")
        assert b"Content-Encoding" not in headers

        # The view keeps its second event until the gate opens, so receiving the first
        # one here proves nothing between the view and the socket buffers the stream.
        first = await communicator.receive_output(timeout=10)
        assert first["body"].decode() == test_urls.EVENTS[0]
        assert first["more_body"] is True

        gate.set()
        second = await communicator.receive_output(timeout=10)
        assert second["body"].decode() == test_urls.EVENTS[1]
    finally:
        test_urls.STREAM_GATE.event = None
        gate.set()
        await communicator.wait(timeout=10)
