"""The v1 deprecation dates read from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from storyengine.env import env_date

ROOT = Path(__file__).resolve().parents[2]


def test_date_is_read_as_iso(monkeypatch):
    monkeypatch.setenv("STORYENGINE_API_V1_SUNSET", "2028-01-31")

    assert env_date("STORYENGINE_API_V1_SUNSET", date(2027, 6, 30)) == date(2028, 1, 31)


def test_unset_date_gives_default(monkeypatch):
    monkeypatch.delenv("STORYENGINE_API_V1_SUNSET", raising=False)

    assert env_date("STORYENGINE_API_V1_SUNSET", date(2027, 6, 30)) == date(2027, 6, 30)


def test_bad_date_names_the_variable(monkeypatch):
    monkeypatch.setenv("STORYENGINE_API_V1_SUNSET", "next summer")

    with pytest.raises(ImproperlyConfigured, match="STORYENGINE_API_V1_SUNSET='next summer' is invalid"):
        env_date("STORYENGINE_API_V1_SUNSET", date(2027, 6, 30))


def test_sunset_before_deprecation_stops_start_up():
    environment = {
        **os.environ,
        "DJANGO_SECRET_KEY": "x" * 50,
        "STORYENGINE_API_V1_DEPRECATED_ON": "2027-01-01",
        "STORYENGINE_API_V1_SUNSET": "2026-12-31",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "STORYENGINE_API_V1_SUNSET=2026-12-31 is invalid" in result.stderr
