"""Serializer fields that reject values of the wrong JSON type.

DRF's own fields coerce ``"150"`` to 150 and ``1`` to True; a public API should
reject a wrong type with 400 and name the type it expects.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rest_framework import serializers



class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"type": "Expected an integer, got {kind}."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("type", kind=type(data).__name__)
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    default_error_messages = {"type": "Expected a number, got {kind}."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("type", kind=type(data).__name__)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"type": "Expected true or false, got {kind}."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("type", kind=type(data).__name__)
        return data


class TextField(serializers.CharField):
    """A string field that rejects non-strings and NFC-normalizes before validating length."""

    default_error_messages = {"type": "Expected a string, got {kind}."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("type", kind=type(data).__name__)
        return super().to_internal_value(unicodedata.normalize("NFC", data))
