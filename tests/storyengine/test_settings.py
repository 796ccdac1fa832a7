"""Settings read from the environment, and the embedded database mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from storyengine.env import env_bool, env_int, env_rate, env_url

ROOT = Path(__file__).resolve().parents[2]


def test_bad_integer_names_the_variable(monkeypatch):
    monkeypatch.setenv("STORYENGINE_N_CTX", "lots")

    with pytest.raises(ImproperlyConfigured) as caught:
        env_int("STORYENGINE_N_CTX", 4096)

    assert "STORYENGINE_N_CTX='lots'" in str(caught.value)


def test_integer_below_minimum_is_rejected(monkeypatch):
    monkeypatch.setenv("STORYENGINE_N_THREADS", "0")

    with pytest.raises(ImproperlyConfigured, match="STORYENGINE_N_THREADS=0 is invalid: the minimum is 1"):
        env_int("STORYENGINE_N_THREADS", 2, minimum=1)


def test_bad_boolean_is_rejected(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG='maybe'"):
        env_bool("DJANGO_DEBUG", False)


def test_bad_rate_is_rejected(monkeypatch):
    monkeypatch.setenv("STORYENGINE_GENERATION_RATE", "ten a minute")

    with pytest.raises(ImproperlyConfigured, match="STORYENGINE_GENERATION_RATE"):
        env_rate("STORYENGINE_GENERATION_RATE", "10/min")


def test_url_with_wrong_scheme_is_rejected(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://127.0.0.1:6379")

    with pytest.raises(ImproperlyConfigured, match="REDIS_URL='http://127.0.0.1:6379' is invalid"):
        env_url("REDIS_URL", ("redis", "rediss"))


def test_site_refuses_to_start_with_bad_value():
    environment = {**os.environ, "DJANGO_SECRET_KEY": "x" * 50, "STORYENGINE_N_CTX": "big"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "STORYENGINE_N_CTX='big' is invalid" in result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("WAL mode applies to the embedded SQLite database only")

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
