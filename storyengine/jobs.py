"""Dispatch of Celery tasks in both modes, always after the surrounding commit.

Distributed mode sends the task to the broker. Embedded mode (and any
configuration with ``JOBS_IN_PROCESS``) runs it with ``Task.apply`` on a single
in-process executor thread. So the task body is the same code a worker runs, and
jobs run one at a time as on a worker with concurrency 1.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from celery import Task
from django.conf import settings
from django.db import close_old_connections, connections, transaction

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _embedded_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storyengine-job")
        return _executor


def _run_embedded(task: Task, args: tuple[Any, ...]) -> None:
    close_old_connections()
    try:
        result = task.apply(args=args)
        if result.failed():
            logger.error("Embedded job %s%r failed: %s", task.name, args, result.result)
    finally:
        # The executor thread lives on between jobs; an idle connection kept open
        # would hold PostgreSQL sessions (and block dropping a test database).
        connections.close_all()


def submit_now(task: Task, *args: Any) -> Future[None] | None:
    """Start ``task`` at once: on the in-process executor (embedded) or the broker."""
    if settings.JOBS_IN_PROCESS:
        return _embedded_executor().submit(_run_embedded, task, args)
    task.apply_async(args=args)
    return None


def dispatch_on_commit(task: Task, *args: Any) -> None:
    """Send ``task`` once the current transaction commits; a rollback sends nothing.

    Outside a transaction the task starts at once.
    """
    callback: Callable[[], object] = lambda: submit_now(task, *args)
    transaction.on_commit(callback)


def wait_for_embedded_jobs(timeout: float | None = None) -> None:
    """Block until every job submitted so far has finished (tests, shutdown)."""
    marker = _embedded_executor().submit(lambda: None)
    marker.result(timeout=timeout)
