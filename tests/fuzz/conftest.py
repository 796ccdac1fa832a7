"""Registers the ``fuzz`` marker, which ``make test`` deselects and ``make fuzz`` selects."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: schema-driven requests against a live server (make fuzz)")
