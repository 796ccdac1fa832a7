"""Real Celery worker processes against the test database and Redis.

These tests run only when selected with ``-m workers`` (``make test-workers``),
because each starts worker processes that load the model, and they need
PostgreSQL (``DATABASE_URL``) and Redis (``REDIS_URL``). A worker reads the
test database that pytest-django created, named in its ``DATABASE_URL``, so
the tests use ``transaction=True``, because a worker reads only committed rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psutil
import pytest
from django.conf import settings
from django.db import connection

from stories.models import Story

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
# Upper bounds on waits, so a broken worker fails the test instead of hanging it.
STARTUP_TIMEOUT = 90.0
JOB_TIMEOUT = 300.0
POLL_SECONDS = 0.1
# The broker keys of the two queues and of kombu's unacknowledged-message bookkeeping.
BROKER_KEYS = ("generation", "maintenance", "unacked", "unacked_index", "unacked_mutex")

T = TypeVar("T")

# Figures measured by the tests, printed at the end of the run.
MEASUREMENTS: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip these tests unless the run selected them by marker, as `make test-workers` does."""
    selected = "workers" in (config.option.markexpr or "")
    skip = pytest.mark.skip(reason="starts Celery worker processes; run with `make test-workers` (-m workers)")
    for item in items:
        if item.get_closest_marker("workers") and not selected:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter) -> None:
    if MEASUREMENTS:
        terminalreporter.section("worker measurements")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not item.get_closest_marker("workers"):
        return
    if not settings.REDIS_URL:
        pytest.skip("worker tests need Redis: set REDIS_URL")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("worker tests need PostgreSQL: set DATABASE_URL (SQLite cannot be shared with a worker process)")


def wait_for(condition: Callable[[], T | None], timeout: float, description: str) -> T:
    """Poll ``condition`` until it returns a true value, and return that value. Fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {description}")
        time.sleep(POLL_SECONDS)


def wait_until_finished(story_id, timeout: float = JOB_TIMEOUT) -> Story:
    return wait_for(
        lambda: (story := Story.objects.get(pk=story_id)).is_finished and story,
        timeout,
        f"story {story_id} to finish",
    )


def wait_until_writing(story_id, min_chars: int = 40) -> Story:
    """Wait until the story is ``running`` with at least ``min_chars`` characters of saved text."""
    return wait_for(
        lambda: (story := Story.objects.get(pk=story_id)).status == "running" and len(story.content) >= min_chars and story,
        JOB_TIMEOUT,
        f"story {story_id} to be running with saved text",
    )


@dataclass
class WorkerProcess:
    """One ``celery -A storyengine worker`` process (and its pool process) started by a test."""

    name: str
    process: subprocess.Popen
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def pool_processes(self) -> list[psutil.Process]:
        return psutil.Process(self.pid).children()

    def kill_pool_processes(self) -> list[int]:
        """Kill -9 the pool processes that run the jobs; the main process lives on and notices."""
        killed = []
        for child in self.pool_processes():
            child.send_signal(signal.SIGKILL)
            killed.append(child.pid)
        assert killed, "the worker has no pool process to kill"
        return killed

    def kill(self) -> None:
        """Kill -9 every process of the worker, as a crash or an out-of-memory kill would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_count(self, text: str) -> int:
        return self.log().count(text)


def _test_database_url() -> str:
    """Return the URL of the test database that pytest-django created and this process uses."""
    params = connection.settings_dict
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{params['USER']}{password}@{host}:{port}/{params['NAME']}"


def _clear_broker() -> None:
    """Drop messages that an earlier test left in the queues, including unacknowledged ones of killed workers."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.delete(*BROKER_KEYS)
    finally:
        client.close()


@pytest.fixture
def distributed(settings, transactional_db) -> None:
    """Send jobs from this process to the broker, as the site does in distributed mode."""
    settings.JOBS_IN_PROCESS = False
    _clear_broker()
    yield
    _clear_broker()


@pytest.fixture
def start_worker(distributed, tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    """Return a function that starts a worker process and waits until it replies to a ping.

    Every worker started is killed at teardown, before the test database is flushed.
    """
    from storyengine.celery import app

    started: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        name = f"tests-{uuid.uuid4().hex[:8]}@localhost"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.workers.worker_settings",
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            **extra_env,
        }
        log_path = tmp_path / f"{name.split('@')[0]}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "storyengine",
                    "worker",
                    "-Q",
                    "generation,maintenance",
                    "--concurrency",
                    "1",
                    "--prefetch-multiplier",
                    "1",
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    name,
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = WorkerProcess(name=name, process=process, log_path=log_path, extra_env=extra_env)
        started.append(worker)

        def answers() -> bool:
            if process.poll() is not None:
                pytest.fail(f"worker {name} exited with {process.returncode}:\n{worker.log()[-3000:]}")
            return bool(app.control.ping(destination=[name], timeout=0.5))

        wait_for(answers, STARTUP_TIMEOUT, f"worker {name} to answer a ping")
        return worker

    yield start

    for worker in started:
        worker.kill()
