"""The JSON message format shared by the API's WebSocket consumers.

Every message the server sends is a JSON object with ``type``, ``data`` or
``message``, and ``timestamp`` (ISO 8601 with the time zone). Telugu is sent as
real characters, never ``\\u0c..`` escapes. Client frames must be JSON objects
in text frames; anything else gets an ``error`` message and the socket stays open.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from rest_framework.exceptions import ParseError

from storyengine.api.parsers import StrictJSONParser

logger = logging.getLogger(__name__)

INVALID_REQUEST = "Invalid request"


def now_iso() -> str:
    return timezone.localtime().isoformat()


def socket_message(message_type: str, **fields: Any) -> dict[str, Any]:
    """Return a server message: ``type``, the given fields, and the current ``timestamp``."""
    return {"type": message_type, **fields, "timestamp": now_iso()}


def encode_message(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, cls=DjangoJSONEncoder)


def parse_client_frame(text: str) -> dict[str, Any]:
    """Parse a client's text frame with the REST API's JSON rules; raise ParseError when it is not an object.

    Like a request body, a frame with NUL or an unpaired surrogate in any string is rejected.
    """
    content = StrictJSONParser().parse(io.BytesIO(text.encode("utf-8", "surrogatepass")))
    if not isinstance(content, dict):
        raise ParseError(f"Expected a JSON object, got {type(content).__name__}.")
    return content


class JsonSocketConsumer(AsyncWebsocketConsumer):
    """A consumer that reads client frames as JSON objects and sends timestamped JSON messages.

    Subclasses implement :meth:`receive_message`. A frame that is not a JSON
    object gets an ``error`` message and does not close the socket.
    """

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The sockets are API endpoints: their messages, Django's and DRF's validation
        # messages included, stay English whatever the site's default language is.
        with translation.override("en"):
            await self._receive_frame(text_data)

    async def _receive_frame(self, text_data: str | None) -> None:
        if text_data is None:
            await self.send_error(INVALID_REQUEST, {"non_field_errors": ["Expected a JSON text frame, got binary."]})
            return
        try:
            content = parse_client_frame(text_data)
        except ParseError as exc:
            await self.send_error(INVALID_REQUEST, {"non_field_errors": [str(exc.detail)]})
            return
        await self.receive_message(content)

    async def receive_message(self, content: dict[str, Any]) -> None:
        raise NotImplementedError

    async def send_message(self, message_type: str, **fields: Any) -> None:
        await self.send(text_data=encode_message(socket_message(message_type, **fields)))

    async def send_error(self, message: str, details: dict[str, Any] | None = None, **extra: Any) -> None:
        """Send ``{"type": "error", "message", "details", ...extra, "timestamp"}``; details as in the error envelope."""
        await self.send_message("error", message=message, details=details or {}, **extra)
