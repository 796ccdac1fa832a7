"""A live server and Debian's chromium for the browser tests.

The server is daphne in a subprocess on 127.0.0.1, pointed at the test database
pytest-django created, so it serves the pages, the event streams and the in-process
generation jobs exactly as ``make run`` does. Tests that use it commit their rows
(``transaction=True``) so the server can read them. pytest-django empties every
table after such a test, so the ``seeded_agents`` fixture writes the agent rows again.

Playwright drives /usr/bin/chromium from Debian (scripts/browser-packages.sh); its
own browser builds are never downloaded. Browser tests run only when ``-m`` selects
them (``make test-browser``), because they take minutes and need chromium.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SERVER_START_SECONDS = 60
# The environment variable that turns screenshot saving on, and the folder it names.
SCREENSHOTS_VARIABLE = "STORYENGINE_SCREENSHOTS"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    markexpr = config.getoption("markexpr") or ""
    if "browser" in markexpr and "not browser" not in markexpr:
        return
    skip = pytest.mark.skip(reason="browser tests run only with -m browser (make test-browser)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


def _database_url(settings_dict: dict[str, Any]) -> str:
    """Return a DATABASE_URL naming the test database of ``settings_dict``."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    credentials = ""
    if user and password:
        credentials = f"{user}:{password}@"
    elif user:
        credentials = f"{user}@"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{settings_dict.get('HOST') or '127.0.0.1'}{port}/{settings_dict['NAME']}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"The test server exited with {server.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"The test server did not respond to /health within {SERVER_START_SECONDS} s:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """Start daphne on 127.0.0.1 against the test database and return its base URL."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the browser tests need a file or PostgreSQL test database, which a second process can open")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("server") / "daphne.log"
    environment = {
        **{name: value for name, value in os.environ.items() if name != ASYNC_UNSAFE},
        "DJANGO_SETTINGS_MODULE": "tests.browser.server_settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        # Several stories per run; the limit itself has its own tests.
        "STORYENGINE_GENERATION_RATE": "100/min",
        "PYTHONUNBUFFERED": "1",
    }
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "storyengine.asgi:application"],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_health(url, server, log_path)
        logger.info("Test server pid %s listening on %s", server.pid, url)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(autouse=True)
def seeded_agents(request: pytest.FixtureRequest) -> None:
    """Write the default agent rows that the data migration wrote, when a test uses the database.

    Tests here commit their rows, and pytest-django empties every table after such a test.
    """
    if "transactional_db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("transactional_db")
    from agents.models import Agent
    from agents.seeds import DEFAULT_AGENTS

    for values in DEFAULT_AGENTS:
        values = dict(values)
        Agent.objects.update_or_create(id=values.pop("id"), defaults=values)


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/browser-packages.sh as root (make test-browser does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -r requirements.txt")
    # Playwright's sync API keeps an event loop running in this thread, and Django
    # rejects ORM calls while one is running. The tests' ORM calls are plain blocking
    # calls between browser steps, so the check is switched off for this session only.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


def _launch(playwright: Any, viewport: dict[str, int]) -> Iterator[Any]:
    """Open chromium with a fresh profile folder, removed afterwards."""
    arguments = list(CHROMIUM_ARGS) if os.geteuid() == 0 else [arg for arg in CHROMIUM_ARGS if arg != "--no-sandbox"]
    with tempfile.TemporaryDirectory(prefix="storyengine-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=arguments,
            viewport=viewport,
            locale="te-IN",
            timezone_id="Asia/Kolkata",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def browser(live_url, playwright_session) -> Iterator[Any]:
    """A desktop-sized chromium profile of its own for one test."""
    yield from _launch(playwright_session, DESKTOP)


@pytest.fixture
def phone_browser(live_url, playwright_session) -> Iterator[Any]:
    """A phone-sized chromium profile of its own for one test."""
    yield from _launch(playwright_session, PHONE)


@pytest.fixture
def screenshot():
    """Return a function that saves a full-page screenshot when STORYENGINE_SCREENSHOTS names a folder."""
    folder = os.environ.get(SCREENSHOTS_VARIABLE)

    def save(page: Any, name: str) -> Path | None:
        if not folder:
            return None
        path = (BASE_DIR / folder / name).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
