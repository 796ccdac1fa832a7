"""Live figures for the monitoring socket, and job announcements sent to it.

Jobs call :func:`announce_job` when they start and finish; it sends to the
``monitoring`` channel-layer group from any thread or process. The socket
consumer (``agents.consumers``) samples the rest itself: the agent status that
GET agents/status returns, the queue depth and this process's figures.

The queue depth counts story rows. ``agents`` sits below ``stories`` in the
import order, so the model is looked up by its app label at call time instead
of being imported.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import psutil
from django.apps import apps
from django.db import DatabaseError
from django.db.models import Count
from rest_framework.utils.encoders import JSONEncoder

from agents import metrics
from agents.api.serializers import AgentStatusReportSerializer
from storyengine.groups import send_to_group
from storyengine.sockets import socket_message

logger = logging.getLogger(__name__)

MONITORING_GROUP = "monitoring"
# The channel-layer message type; the consumer handles it as ``monitoring_job``.
JOB_MESSAGE_TYPE = "monitoring.job"

JOB_STARTED = "started"
JOB_FINISHED = "finished"
JOB_PHASES = (JOB_STARTED, JOB_FINISHED)

QUEUED = "queued"
RUNNING = "running"


def queue_depth() -> dict[str, int]:
    """Count the stories waiting for a job (``queued``) and those a job works on (``running``), in one query."""
    story_model = apps.get_model("stories", "Story")
    rows = story_model.objects.filter(status__in=[QUEUED, RUNNING]).values("status").annotate(count=Count("id"))
    counts = {row["status"]: row["count"] for row in rows}
    return {QUEUED: counts.get(QUEUED, 0), RUNNING: counts.get(RUNNING, 0)}


def _story_status(story_id: str) -> str:
    story_model = apps.get_model("stories", "Story")
    status = story_model.objects.filter(pk=story_id).values_list("status", flat=True).first()
    return status or "deleted"


def announce_job(
    kind: str,
    story_id: Any,
    phase: str,
    *,
    attempt: int | None = None,
    seconds: float | None = None,
) -> None:
    """Tell every monitoring socket that a job started or finished.

    ``kind`` names the job (``generation``, ``refinement``) and ``phase`` is
    ``started`` or ``finished``. A finished job reports the story's status as
    stored when it returns (``deleted`` for a row that is gone), and ``seconds``,
    the job's wall-clock time as the caller measured it. Both carry the queue
    depth at that moment. Database and channel-layer failures are logged, not
    raised, because a lost announcement must not fail the job.
    """
    assert phase in JOB_PHASES, f"unknown job phase {phase!r}; use one of {JOB_PHASES}"
    data: dict[str, Any] = {"job": kind, "story_id": str(story_id)}
    if attempt is not None:
        data["attempt"] = attempt
    try:
        if phase == JOB_FINISHED:
            data["status"] = _story_status(str(story_id))
            if seconds is not None:
                data["seconds"] = round(seconds, 3)
        data["queue"] = queue_depth()
    except DatabaseError as exc:
        logger.warning("Story %s: job %s announcement not sent: %s", story_id, phase, exc)
        return

    event = socket_message(f"job_{phase}", data=data)
    send_to_group(MONITORING_GROUP, {"type": JOB_MESSAGE_TYPE, "event": event})


def agent_status() -> dict[str, Any]:
    """Return the agent status exactly as GET agents/status returns it with its default ``include_metrics``."""
    report = metrics.status_report(include_metrics=True)
    body = AgentStatusReportSerializer(report).data
    return json.loads(json.dumps(body, cls=JSONEncoder, ensure_ascii=False))


def status_fingerprint(status: dict[str, Any]) -> str:
    """Return the part of a status report that counts as a change, as a comparable string.

    Left out: ``last_updated``, which changes on every report, and the memory
    and host figures (``memory_usage``, ``system_health.process`` and
    ``system_health.host``), which drift between any two reports. The socket
    sends those as ``process`` updates.
    """
    agents = [{key: value for key, value in agent.items() if key != "memory_usage"} for agent in status["agents"]]
    health = {key: value for key, value in status["system_health"].items() if key not in ("process", "host")}
    stable = {**status, "agents": agents, "system_health": health}
    stable.pop("last_updated", None)
    return json.dumps(stable, sort_keys=True, ensure_ascii=False)


class ProcessSampler:
    """Measures this process's resident memory and CPU use between two samples.

    ``cpu_percent = 100 * (cpu_user + cpu_system seconds spent since the previous
    sample) / (wall-clock seconds since the previous sample)``. It exceeds 100
    when several threads run at once (the model uses all of
    ``STORYENGINE_N_THREADS``). The first sample covers the time since the sampler
    was made.
    """

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._last_cpu = self._cpu_seconds()
        self._last_time = time.monotonic()

    def _cpu_seconds(self) -> float:
        times = self._process.cpu_times()
        return times.user + times.system

    def sample(self) -> dict[str, Any]:
        cpu = self._cpu_seconds()
        now = time.monotonic()
        elapsed = now - self._last_time
        cpu_percent = 100.0 * (cpu - self._last_cpu) / elapsed if elapsed > 0 else 0.0
        self._last_cpu, self._last_time = cpu, now
        return {
            "pid": os.getpid(),
            "rss_bytes": metrics.process_rss_bytes(),
            "cpu_percent": round(cpu_percent, 1),
        }
