"""Figures about the agents, computed from recorded AgentRuns and from this process.

Windows:

- Per-agent figures cover the agent's latest ``RUN_WINDOW`` (100) finished runs, so an
  agent idle for a day still reports its record. A finished run is one that
  succeeded, fell back or failed. Cancelled runs are left out because a cancellation is
  the writer's decision, not the agent's result.
- Collaboration figures cover every run of the latest ``STORY_WINDOW`` (100) stories,
  ranked by the start of their latest run.

A report takes five queries however many agents and runs there are.
"""

from __future__ import annotations

import math
import os
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psutil
from django.db.models import F, Max, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from agents.models import Agent, AgentRun, AgentRunOutcome
from agents.runtime import ModelRuntime, check_model_available, loaded_runtimes

RUN_WINDOW = 100
RECENT_RUNS = 10
STORY_WINDOW = 100
P95 = 0.95

FINISHED_OUTCOMES: tuple[str, ...] = (AgentRunOutcome.SUCCEEDED, AgentRunOutcome.FELL_BACK, AgentRunOutcome.FAILED)
SUCCESSFUL_OUTCOMES: tuple[str, ...] = (AgentRunOutcome.SUCCEEDED, AgentRunOutcome.FELL_BACK)

BUSY = "busy"
IDLE = "idle"
DISABLED = "disabled"
AGENT_STATES: tuple[str, ...] = (BUSY, IDLE, DISABLED)


@dataclass(frozen=True)
class RunSample:
    """The measured part of one AgentRun."""

    agent_id: str
    story_id: str
    outcome: str
    seconds: float
    completion_tokens: int
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class AgentFigures:
    """Figures over an agent's window of finished runs; each is None when there are no runs.

    - ``success_rate = (succeeded + fell_back) / runs``
    - ``average_response_time``: mean of the runs' wall-clock seconds
    - ``median_seconds``, ``p95_seconds``: median and nearest-rank 95th percentile of the seconds
    - ``recent_mean_seconds``: mean seconds of the latest ``RECENT_RUNS`` (10) runs
    - ``speed_factor = min(1, median_seconds / recent_mean_seconds)``, or 1 when the
      recent mean is 0: 1 while recent runs are no slower than the agent's median,
      falling towards 0 as they slow down
    - ``performance_score = success_rate * speed_factor``
    - ``tokens_per_second = sum(completion_tokens) / sum(seconds)`` over runs that
      generated tokens, so it covers model-backed steps only
    """

    runs: int
    succeeded: int
    fell_back: int
    failed: int
    success_rate: float | None
    average_response_time: float | None
    median_seconds: float | None
    p95_seconds: float | None
    recent_mean_seconds: float | None
    speed_factor: float | None
    performance_score: float | None
    tokens_per_second: float | None


@dataclass(frozen=True)
class AgentStatus:
    """One agent's row in the status report."""

    agent_id: str
    name: str
    type: str
    status: str
    current_task: str | None
    performance_score: float | None
    success_rate: float | None
    average_response_time: float | None
    memory_usage: int | None
    last_activity: datetime | None


@dataclass(frozen=True)
class StatusReport:
    """Everything GET agents/status returns; ``performance_metrics`` is None when not requested."""

    agents: list[AgentStatus]
    collaboration_metrics: dict[str, Any]
    system_health: dict[str, Any]
    performance_metrics: dict[str, Any] | None
    last_updated: datetime


@dataclass
class _Activity:
    last_activity: datetime | None = None
    running_story_ids: list[str] = field(default_factory=list)


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def nearest_rank(sorted_values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile: the value at 1-based rank ceil(fraction * n)."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def agent_figures(samples: Sequence[RunSample]) -> AgentFigures:
    """Compute an agent's figures from its finished runs, newest first (formulas on AgentFigures)."""
    runs = len(samples)
    succeeded = sum(1 for sample in samples if sample.outcome == AgentRunOutcome.SUCCEEDED)
    fell_back = sum(1 for sample in samples if sample.outcome == AgentRunOutcome.FELL_BACK)
    failed = sum(1 for sample in samples if sample.outcome == AgentRunOutcome.FAILED)
    if runs == 0:
        return AgentFigures(0, 0, 0, 0, None, None, None, None, None, None, None, None)

    seconds = [sample.seconds for sample in samples]
    ordered = sorted(seconds)
    success_rate = (succeeded + fell_back) / runs
    median_seconds = statistics.median(ordered)
    recent_mean = statistics.fmean(seconds[:RECENT_RUNS])
    speed_factor = 1.0 if recent_mean <= 0 else min(1.0, median_seconds / recent_mean)

    generating = [sample for sample in samples if sample.completion_tokens > 0]
    generating_seconds = sum(sample.seconds for sample in generating)
    tokens_per_second = (
        sum(sample.completion_tokens for sample in generating) / generating_seconds if generating_seconds > 0 else None
    )
    return AgentFigures(
        runs=runs,
        succeeded=succeeded,
        fell_back=fell_back,
        failed=failed,
        success_rate=_rounded(success_rate),
        average_response_time=_rounded(statistics.fmean(seconds)),
        median_seconds=_rounded(median_seconds),
        p95_seconds=_rounded(nearest_rank(ordered, P95)),
        recent_mean_seconds=_rounded(recent_mean),
        speed_factor=_rounded(speed_factor),
        performance_score=_rounded(success_rate * speed_factor),
        tokens_per_second=_rounded(tokens_per_second, 2),
    )


def collaboration_figures(samples: Sequence[RunSample]) -> dict[str, Any]:
    """Compute how the agents worked together on the stories of the window.

    - ``stories``: stories in the window
    - ``mean_agents_per_story``: mean over stories of the distinct agents that ran
    - ``mean_pipeline_seconds``: mean over stories of the summed seconds of their runs
    - ``median_handoff_seconds``: median gap between one run's end and the next run's
      start in the same story. A median, because a story resumed after a restart has
      one gap as long as the restart took.
    - ``fallback_rate = fell_back / finished runs`` and ``failure_rate = failed / finished runs``
    - ``time_share``: each agent's seconds divided by the seconds of all runs, which
      shows where the pipeline spends its time
    """
    by_story: dict[str, list[RunSample]] = defaultdict(list)
    for sample in samples:
        by_story[sample.story_id].append(sample)

    handoffs: list[float] = []
    for runs in by_story.values():
        runs.sort(key=lambda sample: sample.started_at)
        for previous, following in zip(runs, runs[1:]):
            if previous.finished_at is not None:
                handoffs.append(max(0.0, (following.started_at - previous.finished_at).total_seconds()))

    finished = [sample for sample in samples if sample.outcome in FINISHED_OUTCOMES]
    total_seconds = sum(sample.seconds for sample in samples)
    seconds_by_agent: dict[str, float] = defaultdict(float)
    for sample in samples:
        seconds_by_agent[sample.agent_id] += sample.seconds

    stories = len(by_story)
    return {
        "window": {"latest_stories": STORY_WINDOW},
        "stories": stories,
        "mean_agents_per_story": (
            _rounded(statistics.fmean(len({run.agent_id for run in runs}) for runs in by_story.values()))
            if stories
            else None
        ),
        "mean_pipeline_seconds": (
            _rounded(statistics.fmean(sum(run.seconds for run in runs) for runs in by_story.values()))
            if stories
            else None
        ),
        "median_handoff_seconds": _rounded(statistics.median(handoffs)) if handoffs else None,
        "fallback_rate": (
            _rounded(sum(1 for run in finished if run.outcome == AgentRunOutcome.FELL_BACK) / len(finished))
            if finished
            else None
        ),
        "failure_rate": (
            _rounded(sum(1 for run in finished if run.outcome == AgentRunOutcome.FAILED) / len(finished))
            if finished
            else None
        ),
        "time_share": (
            {agent_id: _rounded(seconds / total_seconds) for agent_id, seconds in sorted(seconds_by_agent.items())}
            if total_seconds > 0
            else {}
        ),
    }


def _sample(row: tuple[Any, ...]) -> RunSample:
    agent_id, story_id, outcome, seconds, completion_tokens, started_at, finished_at = row
    return RunSample(
        agent_id=agent_id,
        story_id=str(story_id),
        outcome=outcome,
        seconds=float(seconds),
        completion_tokens=int(completion_tokens),
        started_at=started_at,
        finished_at=finished_at,
    )


_SAMPLE_COLUMNS = ("agent_id", "story_id", "outcome", "seconds", "completion_tokens", "started_at", "finished_at")


def _windowed_runs() -> dict[str, list[RunSample]]:
    """Return each agent's latest RUN_WINDOW finished runs, newest first, in one query."""
    rows = (
        AgentRun.objects.filter(outcome__in=FINISHED_OUTCOMES)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("agent_id")], order_by=[F("started_at").desc(), F("id").desc()])
        )
        .filter(rank__lte=RUN_WINDOW)
        .order_by("agent_id", "-started_at", "-id")
        .values_list(*_SAMPLE_COLUMNS)
    )
    by_agent: dict[str, list[RunSample]] = defaultdict(list)
    for row in rows:
        sample = _sample(row)
        by_agent[sample.agent_id].append(sample)
    return by_agent


def _story_window_runs() -> list[RunSample]:
    """Return every run of the latest STORY_WINDOW stories, in one query."""
    latest_stories = (
        AgentRun.objects.values("story_id")
        .annotate(last_started=Max("started_at"))
        .order_by("-last_started")
        .values("story_id")[:STORY_WINDOW]
    )
    return [_sample(row) for row in AgentRun.objects.filter(story_id__in=latest_stories).values_list(*_SAMPLE_COLUMNS)]


def _activity() -> dict[str, _Activity]:
    """Return each agent's latest activity and its running runs' stories, newest first, in two queries."""
    activity: dict[str, _Activity] = defaultdict(_Activity)
    latest = AgentRun.objects.values("agent_id").annotate(last=Max(Coalesce("finished_at", "started_at")))
    for row in latest:
        activity[row["agent_id"]].last_activity = row["last"]
    running = (
        AgentRun.objects.filter(outcome=AgentRunOutcome.RUNNING)
        .order_by("-started_at", "-id")
        .values_list("agent_id", "story_id")
    )
    for agent_id, story_id in running:
        activity[agent_id].running_story_ids.append(str(story_id))
    return activity


def process_rss_bytes() -> int:
    """Return the resident set size of this process in bytes, as psutil reports it."""
    return int(psutil.Process().memory_info().rss)


def agent_state(
    agent: Agent, running_story_ids: Sequence[str], runtimes: Sequence[ModelRuntime]
) -> tuple[str, str | None]:
    """Return the agent's status and current task (the story id it works on, or None).

    ``disabled`` when the agent is switched off. ``busy`` when it has a running AgentRun
    and a model runtime of this process is running a completion. Otherwise ``idle``. A
    running AgentRun alone is not enough, because a job that died leaves its run
    ``running`` forever.

    NOTE: only this process's runtimes are visible. In distributed mode the model runs
    in the Celery workers, so the web process reports every agent idle. The roles that
    do not use the model finish their steps in milliseconds between model calls, so
    they show busy only while a completion of another story runs at the same time.
    """
    if not agent.enabled:
        return DISABLED, None
    if running_story_ids and any(runtime.busy for runtime in runtimes):
        return BUSY, running_story_ids[0]
    return IDLE, None


def system_health(runtimes: Sequence[ModelRuntime], rss_bytes: int, running_steps: int) -> dict[str, Any]:
    """Describe the model, this process and the host as measured now.

    ``ai_models`` is ``healthy`` or ``unhealthy: <reason>`` from the model file check the
    health endpoint runs, without loading the model. ``models`` lists the runtimes
    loaded in this process. ``running_steps`` counts AgentRuns marked running, which
    includes those a dead job left behind.
    """
    available, reason = check_model_available()
    memory = psutil.virtual_memory()
    try:
        load_average: list[float] | None = [round(value, 2) for value in os.getloadavg()]
    except OSError:
        load_average = None
    return {
        "ai_models": "healthy" if available else f"unhealthy: {reason}",
        "models": [runtime.info() for runtime in runtimes],
        "process": {"pid": os.getpid(), "rss_bytes": rss_bytes},
        "host": {
            "cpu_count": os.cpu_count(),
            "load_average": load_average,
            "memory_total_bytes": int(memory.total),
            "memory_available_bytes": int(memory.available),
        },
        "running_steps": running_steps,
    }


def status_report(*, include_metrics: bool = True) -> StatusReport:
    """Build the agent status report from the AgentRun rows and this process.

    ``memory_usage`` of a model-backed agent is the resident memory of this process when
    it has a model loaded, shared by every role on that model. It is None for the roles
    that use no model and when no model is loaded here.
    """
    now = timezone.now()
    agents = list(Agent.objects.all())
    windows = _windowed_runs()
    activity = _activity()
    runtimes = loaded_runtimes()
    rss_bytes = process_rss_bytes()

    statuses: list[AgentStatus] = []
    figures_by_agent: dict[str, AgentFigures] = {}
    for agent in agents:
        figures = agent_figures(windows.get(agent.pk, []))
        figures_by_agent[agent.pk] = figures
        state, current_task = agent_state(agent, activity[agent.pk].running_story_ids, runtimes)
        statuses.append(
            AgentStatus(
                agent_id=agent.pk,
                name=agent.name,
                type=agent.pk,
                status=state,
                current_task=current_task,
                performance_score=figures.performance_score,
                success_rate=figures.success_rate,
                average_response_time=figures.average_response_time,
                memory_usage=rss_bytes if agent.uses_model and runtimes else None,
                last_activity=activity[agent.pk].last_activity,
            )
        )

    running_steps = sum(len(item.running_story_ids) for item in activity.values())
    performance_metrics = None
    if include_metrics:
        performance_metrics = {
            "window": {"latest_finished_runs_per_agent": RUN_WINDOW, "recent_runs": RECENT_RUNS},
            "agents": {agent_id: _figures_json(figures) for agent_id, figures in figures_by_agent.items()},
        }
    return StatusReport(
        agents=statuses,
        collaboration_metrics=collaboration_figures(_story_window_runs()),
        system_health=system_health(runtimes, rss_bytes, running_steps),
        performance_metrics=performance_metrics,
        last_updated=now,
    )


def _figures_json(figures: AgentFigures) -> dict[str, Any]:
    return {
        "runs": figures.runs,
        "succeeded": figures.succeeded,
        "fell_back": figures.fell_back,
        "failed": figures.failed,
        "median_seconds": figures.median_seconds,
        "p95_seconds": figures.p95_seconds,
        "recent_mean_seconds": figures.recent_mean_seconds,
        "speed_factor": figures.speed_factor,
        "tokens_per_second": figures.tokens_per_second,
    }
