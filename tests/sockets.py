"""Helpers shared by the WebSocket tests: the real ASGI application, tokens and a minimal client."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

POLICY_VIOLATION = 1008
# Upper bound for waiting on a message while the real model writes; a hang guard, not a measurement.
STORY_TIMEOUT = 300


@pytest.fixture(scope="session")
def asgi_application(django_db_setup, django_db_blocker):
    """Return ``storyengine.asgi.application``, imported once the test database exists.

    The import runs the embedded mode's start-up recovery, which reads the stories table.
    """
    with django_db_blocker.unblock():
        from storyengine.asgi import application

    return application


def access_token(user) -> str:
    """Return a fresh access token for the user; writes nothing, so async tests may call it."""
    return str(AccessToken.for_user(user))


def communicator(application, path: str, token: str | None = None, headers: list[tuple[bytes, bytes]] | None = None):
    if token is not None:
        path = f"{path}?token={token}"
    return WebsocketCommunicator(application, path, headers=headers or [])


async def assert_closed_with_policy_violation(client: WebsocketCommunicator) -> None:
    """Assert the socket is accepted, then closed with 1008 before any message."""
    connected, _ = await client.connect()
    assert connected, "the handshake must be accepted, so the client sees the close code"
    output = await client.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": POLICY_VIOLATION}
    assert await client.receive_nothing()
    await client.disconnect()


async def receive_until(client: WebsocketCommunicator, message_type: str, timeout: float = STORY_TIMEOUT):
    """Receive messages until one of ``message_type``; return it and the messages before it."""
    before: list[dict[str, Any]] = []
    while True:
        message = await client.receive_json_from(timeout=timeout)
        if message["type"] == message_type:
            return message, before
        before.append(message)


class RawWebSocket:
    """A bare RFC 6455 client over a TCP socket, for tests against a real daphne server.

    Sends masked text frames and reads unmasked server frames; no extensions.
    """

    def __init__(self, port: int, path: str, timeout: float = 30) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("server closed the connection during the handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.status_line = head.split(b"\r\n", 1)[0].decode()

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def receive_frame(self) -> tuple[int, bytes]:
        """Return the next frame's opcode and payload (1 text, 8 close)."""
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read(8))
        return first & 0x0F, self._read(length)

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive_json(self) -> dict[str, Any]:
        opcode, payload = self.receive_frame()
        assert opcode == 1, f"expected a text frame, got opcode {opcode}"
        return json.loads(payload)

    def close(self) -> None:
        self.sock.close()


def close_code(payload: bytes) -> int:
    (code,) = struct.unpack("!H", payload[:2])
    return code
