"""Typed readers for environment variables that fail loudly on a bad value.

Every reader raises ``ImproperlyConfigured`` naming the variable, the value it
found and the form it expects, so a misconfigured deployment stops at start-up
instead of misbehaving later.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return value.strip()


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is invalid: use one of 1, 0, true, false, yes, no.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is invalid: expected a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is invalid: the minimum is {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is invalid: the maximum is {maximum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; blank items are dropped."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """Read a DRF throttle rate such as ``10/min``."""
    value = env_str(name, default)
    assert value is not None
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name}={value!r} is invalid: expected COUNT/PERIOD such as 10/min or 100/hour.")
    return value


def env_date(name: str, default: date) -> date:
    """Read a calendar date written as ISO 8601 ``YYYY-MM-DD``."""
    value = _raw(name)
    if value in (None, ""):
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is invalid: expected a date such as 2027-06-30.") from None


def env_file(name: str) -> Path | None:
    """Read a path that must name an existing file."""
    value = env_str(name)
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ImproperlyConfigured(f"{name}={value!r} is invalid: no such file.")
    return path


def env_url(name: str, schemes: tuple[str, ...]) -> str | None:
    value = env_str(name)
    if value is None:
        return None
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={value!r} is invalid: expected a URL starting with one of {', '.join(s + '://' for s in schemes)}."
        )
    return value


def load_dotenv(path: Path) -> None:
    """Copy KEY=VALUE lines of ``path`` into the environment unless already set.

    ``make run`` writes the generated secret key there; real deployments set
    variables in their own environment, which always wins.
    """
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip())
