"""Authentication of the WebSocket routes: access token in the query string, or the session."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from tests.accounts.support import expired_access_token
from tests.sockets import (
    POLICY_VIOLATION,
    RawWebSocket,
    access_token,
    asgi_application,  # noqa: F401 - fixture
    assert_closed_with_policy_violation,
    close_code,
    communicator,
    receive_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
MONITORING = "/api/v2/ws/monitoring"
GENERATE = "/api/v2/ws/stories/generate"
PATHS = [MONITORING, GENERATE, "/api/v1/ws/monitoring", "/api/v1/ws/stories/generate"]


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


async def assert_connected(client) -> None:
    """Assert the socket is open and replies: to a ping on the monitoring route, to an invalid request otherwise."""
    connected, _ = await client.connect(timeout=10)
    assert connected
    if "monitoring" in client.scope["path"]:
        await client.send_json_to({"type": "ping"})
        await receive_until(client, "pong", timeout=30)
    else:
        await client.send_json_to({"prompt": "x"})
        error = await client.receive_json_from(timeout=30)
        assert error["type"] == "error"
        assert "prompt" in error["details"]
    await client.disconnect()


@pytest.mark.parametrize("path", PATHS)
async def test_valid_token_connects(asgi_application, owner, path):
    await assert_connected(communicator(asgi_application, path, access_token(owner)))


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    return ".".join([header, payload, signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")])


@pytest.mark.parametrize(
    "case",
    ["expired", "malformed", "bad_signature", "refresh_token", "empty", "missing", "repeated"],
)
@pytest.mark.parametrize("path", [MONITORING, GENERATE])
async def test_bad_or_missing_token_closes_with_1008(asgi_application, owner, path, case):
    valid = access_token(owner)
    refresh = await database_sync_to_async(RefreshToken.for_user)(owner)
    query = {
        "expired": f"token={expired_access_token(owner)}",
        "malformed": "token=not-a-jwt",
        "bad_signature": f"token={_tampered(valid)}",
        "refresh_token": f"token={refresh}",
        "empty": "token=",
        "missing": "",
        "repeated": f"token={valid}&token={valid}",
    }[case]
    client = communicator(asgi_application, f"{path}?{query}" if query else path)

    await assert_closed_with_policy_violation(client)


@pytest.mark.parametrize("path", [MONITORING, GENERATE])
async def test_deactivated_user_token_closes_with_1008(asgi_application, owner, path):
    token = access_token(owner)
    owner.is_active = False
    await database_sync_to_async(owner.save)(update_fields=["is_active"])

    await assert_closed_with_policy_violation(communicator(asgi_application, path, token))


async def test_deleted_user_token_closes_with_1008(asgi_application, other):
    token = access_token(other)
    await database_sync_to_async(other.delete)()

    await assert_closed_with_policy_violation(communicator(asgi_application, MONITORING, token))


async def test_session_user_connects_without_origin(asgi_application, owner):
    cookie = await database_sync_to_async(session_cookie)(owner)

    await assert_connected(communicator(asgi_application, MONITORING, headers=[cookie]))


async def test_session_user_connects_from_allowed_host(asgi_application, owner):
    cookie = await database_sync_to_async(session_cookie)(owner)
    origin = (b"origin", b"http://127.0.0.1:8000")

    await assert_connected(communicator(asgi_application, GENERATE, headers=[cookie, origin]))


async def test_session_from_foreign_origin_closes_with_1008(asgi_application, owner):
    cookie = await database_sync_to_async(session_cookie)(owner)
    origin = (b"origin", b"https://another-site.example")

    await assert_closed_with_policy_violation(communicator(asgi_application, MONITORING, headers=[cookie, origin]))


async def test_session_from_cors_allowed_origin_connects(asgi_application, owner, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://writers.example"]
    cookie = await database_sync_to_async(session_cookie)(owner)
    origin = (b"origin", b"https://writers.example")

    await assert_connected(communicator(asgi_application, MONITORING, headers=[cookie, origin]))


async def test_token_from_foreign_origin_connects(asgi_application, owner):
    origin = (b"origin", b"https://another-site.example")

    await assert_connected(communicator(asgi_application, MONITORING, access_token(owner), headers=[origin]))


async def test_bad_token_is_rejected_despite_session(asgi_application, owner):
    cookie = await database_sync_to_async(session_cookie)(owner)

    await assert_closed_with_policy_violation(communicator(asgi_application, MONITORING, "not-a-jwt", headers=[cookie]))


async def test_deactivated_session_user_closes_with_1008(asgi_application, owner):
    cookie = await database_sync_to_async(session_cookie)(owner)
    owner.is_active = False
    await database_sync_to_async(owner.save)(update_fields=["is_active"])

    await assert_closed_with_policy_violation(communicator(asgi_application, MONITORING, headers=[cookie]))


async def test_tokens_are_not_logged(asgi_application, owner, caplog):
    caplog.set_level(logging.DEBUG)
    valid = access_token(owner)
    expired = expired_access_token(owner)

    await assert_connected(communicator(asgi_application, MONITORING, valid))
    await assert_closed_with_policy_violation(communicator(asgi_application, MONITORING, expired))

    assert "closed with 1008: token rejected" in caplog.text
    assert valid not in caplog.text
    assert expired not in caplog.text
    # A JWT's signature part alone would still identify the token.
    assert valid.rsplit(".", 1)[1] not in caplog.text
    assert expired.rsplit(".", 1)[1] not in caplog.text


def _test_database_url() -> str:
    """Return a DATABASE_URL naming the test database this run created."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{database['NAME']}", parts.query, ""))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, server: subprocess.Popen, attempts: int = 300) -> None:
    for _ in range(attempts):
        if server.poll() is not None:
            raise AssertionError(f"daphne exited with {server.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"daphne did not listen on port {port}")


def test_daphne_access_log_omits_tokens(asgi_application, owner, tmp_path):
    """Run the real server with its access log on and connect with a valid and an expired token."""
    valid = access_token(owner)
    expired = expired_access_token(owner)
    port = _free_port()
    log_path = tmp_path / "daphne.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _test_database_url(),
        "DJANGO_LOG_LEVEL": "DEBUG",
    }
    command = [
        sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
        "--access-log", "-", "-v", "2", "storyengine.asgi:application",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, server)

        accepted = RawWebSocket(port, f"{MONITORING}?token={valid}")
        assert accepted.status_line.startswith("HTTP/1.1 101")
        accepted.send_text('{"type": "ping"}')
        while accepted.receive_json()["type"] != "pong":
            pass
        accepted.close()

        rejected = RawWebSocket(port, f"{GENERATE}?token={expired}")
        assert rejected.status_line.startswith("HTTP/1.1 101")
        opcode, payload = rejected.receive_frame()
        assert opcode == 8
        assert close_code(payload) == POLICY_VIOLATION
        rejected.close()
    finally:
        server.terminate()
        server.wait(timeout=30)

    output = log_path.read_text(errors="replace")
    assert f"WSCONNECT {MONITORING}" in output, output
    assert f"WSCONNECT {GENERATE}" in output, output
    assert "token=" not in output
    assert valid.rsplit(".", 1)[1] not in output
    assert expired.rsplit(".", 1)[1] not in output
