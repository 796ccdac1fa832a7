"""Request parsing shared by every API endpoint."""

from __future__ import annotations

from typing import Any

import regex
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# NUL cannot be stored in PostgreSQL text or jsonb, and an unpaired surrogate is
# not a character at all; JSON's \u escapes can carry both.
_UNSTORABLE = regex.compile(r"[\x00\ud800-\udfff]")


def _first_unstorable(value: Any) -> str | None:
    """Return the path of the first string (key or value) holding NUL or a lone surrogate."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                if _UNSTORABLE.search(str(key)):
                    return path or "body"
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{index}" if path else str(index), child) for index, child in enumerate(item))
    return None


class StrictJSONParser(JSONParser):
    """Parse JSON and reject strings that no database column can store.

    Rejecting them here returns 400 from every endpoint at once, instead of a
    500 from the database when such a string reaches a text or JSON column.
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        where = _first_unstorable(data)
        if where is not None:
            raise ParseError(
                f"Invalid JSON string at {where!r}: NUL characters and unpaired surrogates are not accepted."
            )
        return data
