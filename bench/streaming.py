"""Benchmark story streaming against raw llama-cpp-python streaming on the same model and threads.

It prints, in one run:

1. Time from the request to the first text delta, and to the first delta the model
   wrote. The transport is the stream endpoint ``POST /api/v2/stories/generate/stream``
   served by daphne on 127.0.0.1 when the URL configuration has it. Without it, the job
   is started in this process by the service code the API calls, and its listener is
   timed after each callback returns. The output names the transport measured.
2. Time from the writer step's start (its ``stage_started`` event) to its first delta.
   The writer streams each paragraph's beat cue, a template text, before any model
   call, so the first delta is not model text. The goal (within 1.2 x raw time to
   first token + 50 ms) is measured against the first delta the model wrote, which
   is its first whole word. Beside it stand the same figures of raw
   ``create_completion(stream=True)`` on the writer's first prompt, from a cold
   prompt cache: time to first token, and time to a whole first word.
3. Every model call of one story written in this process: prompt tokens reused from
   the context against evaluated, and the tokens evaluated beyond the text that is new
   since the call before (0 means the prefix cache reused all it could).
4. Decode throughput of the writer's model calls, (completion tokens - calls) / decode
   seconds as in bench/generation.py, against raw decoding (goal: at least 0.9).
5. Aggregate throughput of N concurrent streams against one: writer completion tokens
   over the seconds from the first request to the last story's end.

Stories use the prompt, type, context and emotion of bench/generation.py. The
database is a SQLite file in a temporary folder unless ``--database-url`` names
another (its tables are migrated). Redis is left out, so jobs run on the embedded
executor of one process.

Run: ``.venv/bin/python bench/streaming.py [--length 150] [--seed 8] [--streams 4]``
after ``make prepare-model`` (or ``make bench-streaming``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
BENCH_EMAIL = "streaming-bench@storyengine.local"
STREAM_PATH = "/api/v2/stories/generate/stream"
# Tokens each raw round samples: enough for the first word or two of the completion.
RAW_FIRST_TOKENS = 24


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=150, help="Target words of each story (default 150).")
    parser.add_argument("--seed", type=int, default=8, help="Sampling seed of the first story (default 8).")
    parser.add_argument("--streams", type=int, default=4, help="Concurrent streams to compare with one (default 4; 0 skips).")
    parser.add_argument("--rounds", type=int, default=5, help="Raw time-to-first-token rounds (default 5).")
    parser.add_argument(
        "--transport",
        choices=["auto", "endpoint", "job"],
        default="auto",
        help="Measure through the stream endpoint under daphne, the job in this process, or the endpoint when it exists (default).",
    )
    parser.add_argument("--database-url", default=None, help="Database for the run (default: a new SQLite file).")
    return parser.parse_args()


def configure_environment(arguments: argparse.Namespace) -> dict[str, str]:
    """Set the variables this process and daphne share, and return daphne's environment."""
    if arguments.database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="storyengine-streaming-"))
        arguments.database_url = f"sqlite:///{folder / 'streaming.sqlite3'}"
    os.environ["DATABASE_URL"] = arguments.database_url
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "storyengine.settings"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    # The run starts more stories than the default limit of 10 a minute allows one user.
    os.environ["STORYENGINE_GENERATION_RATE"] = "1000/min"
    return {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_LOG_LEVEL": "WARNING"}


ARGUMENTS = parse_arguments()
DAPHNE_ENVIRONMENT = configure_environment(ARGUMENTS)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from agents.models import AgentRun  # noqa: E402
from agents.pipeline.beats import CONTINUATION_CUES  # noqa: E402
from agents.runtime import CompletionRequest, get_runtime  # noqa: E402
from agents.runtime.llm import Completion, ModelRuntime  # noqa: E402
from agents.runtime.rawbench import raw_first_token_benchmark  # noqa: E402
from generation import prompt_of_tokens, raw_decoding  # noqa: E402
from stories import jobs, services  # noqa: E402
from stories.models import Story, StoryStatus  # noqa: E402


@dataclass
class Timeline:
    """One story's events as the client saw them, in seconds since its request was sent."""

    requested_at: float
    events: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    story_id: str = ""
    ended_at: float | None = None

    def first(self, event_type: str, **data: Any) -> float | None:
        for at, kind, payload in self.events:
            if kind == event_type and all(payload.get(key) == value for key, value in data.items()):
                return at
        return None

    def deltas(self) -> list[tuple[float, str]]:
        return [(at, payload["text"]) for at, kind, payload in self.events if kind == "text_delta" and payload.get("text")]


@dataclass
class ModelCall:
    """One ModelRuntime.complete call of the in-process story, with perf_counter times."""

    started_at: float
    ended_at: float
    prompt: str
    completion: Completion

    @property
    def first_token_at(self) -> float:
        return self.ended_at - self.completion.decode_seconds


def cue_texts(plan: dict[str, Any]) -> set[str]:
    return {beat["cue"] for beat in plan.get("beats", [])} | set(CONTINUATION_CUES)


def first_model_delta(timeline: Timeline, plan: dict[str, Any]) -> float | None:
    """Return when the first delta that is not a beat or continuation cue arrived."""
    cues = cue_texts(plan)
    for at, text in timeline.deltas():
        if text.lstrip("\n") not in cues:
            return at
    return None


def bench_user():
    user = get_user_model().objects.filter(email=BENCH_EMAIL).first()
    if user is None:
        user = get_user_model().objects.create_user(email=BENCH_EMAIL, username="streaming-bench", password=None)
    return user


def story_body(length: int, seed: int) -> dict[str, Any]:
    return {
        "prompt": PROMPT,
        "story_type": "short_story",
        "cultural_context": "rural",
        "emotion_focus": ["karuna"],
        "length": length,
        "advanced_options": {"seed": seed},
    }


# The job in this process, timed through its listener


class JobTransport:
    """Starts stories through the service code and times the listener's callbacks after they return."""

    name = "job in this process (StoryListener callbacks timed after they return; no HTTP)"

    def __init__(self) -> None:
        self.marks: dict[str, list[tuple[float, str, dict[str, Any]]]] = defaultdict(list)
        self._lock = threading.Lock()
        self._install()

    def _install(self) -> None:
        marks, lock = self.marks, self._lock
        original_started = jobs.StoryListener.stage_started
        original_text = jobs.StoryListener.text
        original_finished = jobs.StoryListener.stage_finished

        def stage_started(listener: jobs.StoryListener, role: str) -> None:
            original_started(listener, role)
            with lock:
                marks[listener.story_id].append((time.perf_counter(), "stage_started", {"role": role}))

        def text(listener: jobs.StoryListener, delta: str) -> None:
            original_text(listener, delta)
            with lock:
                marks[listener.story_id].append((time.perf_counter(), "text_delta", {"text": delta}))

        def stage_finished(listener: jobs.StoryListener, role: str, summary: str) -> None:
            original_finished(listener, role, summary)
            with lock:
                marks[listener.story_id].append((time.perf_counter(), "stage_finished", {"role": role}))

        jobs.StoryListener.stage_started = stage_started  # type: ignore[method-assign]
        jobs.StoryListener.text = text  # type: ignore[method-assign]
        jobs.StoryListener.stage_finished = stage_finished  # type: ignore[method-assign]

    def run(self, bodies: list[dict[str, Any]]) -> list[Timeline]:
        """Start every story at once and wait for all of them."""
        user = bench_user()
        started: list[tuple[float, float, Story]] = []
        for body in bodies:
            params = services.GenerationParams(
                prompt=body["prompt"],
                story_type=body["story_type"],
                cultural_context=body["cultural_context"],
                target_length=body["length"],
                emotion_focus=body["emotion_focus"],
                advanced_options=body["advanced_options"],
            )
            requested_at, requested_wall = time.perf_counter(), time.time()
            started.append((requested_at, requested_wall, services.start_generation(user, params)))

        timelines = []
        for requested_at, requested_wall, story in started:
            finished = services.wait_for_story(story.pk, timeout=3600)
            timeline = Timeline(requested_at=requested_at, story_id=str(story.pk))
            with self._lock:
                timeline.events = [(at - requested_at, kind, data) for at, kind, data in self.marks[str(story.pk)]]
            if finished.finished_at is not None:
                timeline.ended_at = finished.finished_at.timestamp() - requested_wall
            timelines.append(timeline)
        return timelines


# The stream endpoint under daphne


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class EndpointTransport:
    """Serves the project with daphne on 127.0.0.1 and reads the stream endpoint's server-sent events."""

    name = f"POST {STREAM_PATH} under daphne on {HOST} (client-side receive times)"

    def __init__(self) -> None:
        self.port = free_port()
        self.log_path = Path(tempfile.gettempdir()) / f"storyengine-streaming-daphne-{self.port}.log"
        self.token = str(RefreshToken.for_user(bench_user()).access_token)
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        daphne = Path(sys.executable).with_name("daphne")
        log = self.log_path.open("w")
        process = subprocess.Popen(
            [str(daphne), "-b", HOST, "-p", str(self.port), "storyengine.asgi:application"],
            cwd=ROOT,
            env=DAPHNE_ENVIRONMENT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"daphne exited with code {process.returncode}; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return process
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"daphne did not respond to /health within 60 s; see {self.log_path}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def stream(self, body: dict[str, Any], timeline: Timeline) -> None:
        """POST one generation and record each event's receive time until the stream ends."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=600)
        payload = json.dumps(body, ensure_ascii=False).encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
        }
        timeline.requested_at = time.perf_counter()
        connection.request("POST", STREAM_PATH, body=payload, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            raise SystemExit(f"{STREAM_PATH} returned {response.status}: {response.read()[:500]!r}")
        data_lines: list[str] = []
        while True:
            line = response.readline()
            if not line:
                break
            line = line.rstrip(b"\r\n")
            if line.startswith(b"data:"):
                data_lines.append(line[5:].strip().decode())
            elif not line and data_lines:
                event = json.loads("\n".join(data_lines))
                data_lines = []
                at = time.perf_counter() - timeline.requested_at
                timeline.story_id = event["story_id"]
                timeline.events.append((at, event["type"], event.get("data") or {}))
                if event["type"] in ("completed", "failed", "cancelled"):
                    timeline.ended_at = at
                    break
        connection.close()

    def run(self, bodies: list[dict[str, Any]]) -> list[Timeline]:
        """Open every stream at once and read them to their ends."""
        timelines = [Timeline(requested_at=0.0) for _ in bodies]
        threads = [threading.Thread(target=self.stream, args=(body, timeline)) for body, timeline in zip(bodies, timelines)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return timelines


def endpoint_exists() -> bool:
    try:
        resolve(STREAM_PATH)
    except Resolver404:
        return False
    return True


# Model calls of one story written in this process


def record_model_calls() -> list[ModelCall]:
    """Wrap ModelRuntime.complete so every call in this process is appended to the returned list."""
    calls: list[ModelCall] = []
    original = ModelRuntime.complete

    def complete(runtime: ModelRuntime, request: CompletionRequest, *args: Any, **kwargs: Any) -> Completion:
        started_at = time.perf_counter()
        completion = original(runtime, request, *args, **kwargs)
        calls.append(ModelCall(started_at, time.perf_counter(), request.prompt, completion))
        return completion

    ModelRuntime.complete = complete  # type: ignore[method-assign]
    return calls


def tokens_beyond_new_text(runtime: ModelRuntime, call: ModelCall, previous: ModelCall | None) -> int:
    """Return the prompt tokens a call evaluated beyond the text that is new since the call before.

    The context after the previous call contains its prompt and completion, so the text
    new to this call is what follows their longest common prefix with this prompt. It
    takes count_tokens(new text) tokens (without the beginning-of-sequence token), and
    the last prompt token is always evaluated again for its logits. Token boundaries
    that merge across the cut can move the count by a token or two.
    """
    evaluated = call.completion.prompt_tokens - call.completion.cached_prompt_tokens
    if previous is None:
        return 0
    before = previous.prompt + previous.completion.text
    common = 0
    for left, right in zip(before, call.prompt):
        if left != right:
            break
        common += 1
    new_text = call.prompt[common:]
    needed = (runtime.count_tokens(new_text) - 1 if new_text else 0) + 1
    return max(0, evaluated - needed)


def role_of(at: float, timeline: Timeline, requested_at: float) -> str:
    """Return the role whose stage was running at perf_counter time ``at``."""
    role = "?"
    for seconds, kind, data in timeline.events:
        if kind == "stage_started" and requested_at + seconds <= at:
            role = data["role"]
    return role


def print_model_calls(calls: list[ModelCall], timeline: Timeline) -> dict[str, int]:
    runtime = get_runtime()
    print("model calls of the in-process story (ms; reused/evaluated prompt tokens):")
    print("  call role     prompt reused evaluated beyond-new  TTFT ms  tokens  decode tok/s  finish")
    totals = {"prompt": 0, "reused": 0, "evaluated": 0, "beyond": 0}
    previous: ModelCall | None = None
    for index, call in enumerate(calls, start=1):
        completion = call.completion
        evaluated = completion.prompt_tokens - completion.cached_prompt_tokens
        beyond = tokens_beyond_new_text(runtime, call, previous)
        rate = (completion.completion_tokens - 1) / completion.decode_seconds if completion.decode_seconds else 0.0
        print(
            f"  {index:4d} {role_of(call.started_at, timeline, timeline.requested_at):8s} {completion.prompt_tokens:6d} "
            f"{completion.cached_prompt_tokens:6d} {evaluated:9d} {beyond:11d} {completion.prompt_seconds * 1000:8.1f} "
            f"{completion.completion_tokens:7d} {rate:13.1f}  {completion.finish_reason}"
        )
        totals["prompt"] += completion.prompt_tokens
        totals["reused"] += completion.cached_prompt_tokens
        totals["evaluated"] += evaluated
        totals["beyond"] += beyond
        previous = call
    print(
        f"  all calls: {totals['prompt']} prompt tokens, {totals['reused']} reused, {totals['evaluated']} evaluated, "
        f"{totals['beyond']} evaluated beyond the new text"
    )
    return totals


# Figures


def writer_figures(timeline: Timeline, plan: dict[str, Any]) -> dict[str, float | None]:
    writer_start = timeline.first("stage_started", role="writer")
    first_delta = first_model = None
    if writer_start is not None:
        after = [at for at, _ in timeline.deltas() if at >= writer_start]
        first_delta = after[0] if after else None
        first_model = first_model_delta(timeline, plan)
    return {
        "request_to_first_delta": timeline.deltas()[0][0] if timeline.deltas() else None,
        "request_to_first_model_delta": first_model_delta(timeline, plan),
        "writer_start": writer_start,
        "writer_to_first_delta": None if writer_start is None or first_delta is None else first_delta - writer_start,
        "writer_to_first_model_delta": None if writer_start is None or first_model is None else first_model - writer_start,
    }


def milliseconds(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def writer_run(story_id: str) -> AgentRun:
    return AgentRun.objects.get(story_id=story_id, agent_id="writer")


def writer_tokens(story_ids: list[str]) -> int:
    return sum(run.completion_tokens for run in AgentRun.objects.filter(story_id__in=story_ids, agent_id="writer"))


def decode_rate(run: AgentRun) -> float:
    """Return (completion tokens - calls) / decode seconds of a step, as bench/generation.py does."""
    return (run.completion_tokens - run.details["model_calls"]) / run.details["decode_seconds"]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def print_latency(label: str, timeline: Timeline) -> dict[str, float | None]:
    story = Story.objects.get(pk=timeline.story_id)
    if story.status != StoryStatus.COMPLETED:
        raise SystemExit(f"Story {story.pk} ended {story.status}: {story.error}")
    figures = writer_figures(timeline, story.plan)
    print(
        f"{label}: story {story.pk}, {story.word_count} words; request to first text delta "
        f"{milliseconds(figures['request_to_first_delta'])} (a beat cue), to first model-written delta "
        f"{milliseconds(figures['request_to_first_model_delta'])}; writer start to first delta "
        f"{milliseconds(figures['writer_to_first_delta'])}, to first model-written delta "
        f"{milliseconds(figures['writer_to_first_model_delta'])}; story ended after "
        f"{'n/a' if timeline.ended_at is None else f'{timeline.ended_at:.1f} s'}"
    )
    return figures


def main() -> None:
    threads = settings.STORYENGINE_N_THREADS
    call_command("migrate", verbosity=0)
    use_endpoint = ARGUMENTS.transport == "endpoint" or (ARGUMENTS.transport == "auto" and endpoint_exists())
    if ARGUMENTS.transport == "endpoint" and not endpoint_exists():
        raise SystemExit(f"{STREAM_PATH} is not in the URL configuration; use --transport job.")

    runtime = get_runtime()
    print(f"model: {Path(runtime.info()['path']).name}, threads: {threads}, database: {settings.DATABASES['default']['NAME']}")
    print(f"load average at start (1, 5, 15 min): {load_average()} on {os.cpu_count()} CPUs")

    # The writer's first call in a process builds the Telugu token mask. One short call
    # builds it here first, so the figures below are of a warm process.
    warmup_started = time.perf_counter()
    runtime.complete(CompletionRequest(prompt=PROMPT, max_tokens=1, script="Telugu", seed=1))
    print(f"in-process warm-up (Telugu token mask and one token): {time.perf_counter() - warmup_started:.2f} s")

    job = JobTransport()
    calls = record_model_calls()
    (local,) = job.run([story_body(ARGUMENTS.length, ARGUMENTS.seed)])
    print(f"\n[1] one story through the job in this process (seed {ARGUMENTS.seed})")
    local_figures = print_latency("job", local)
    local_story = Story.objects.get(pk=local.story_id)
    print_model_calls(calls, local)

    endpoint: EndpointTransport | None = None
    single = local
    transport_name = job.name
    if use_endpoint:
        endpoint = EndpointTransport()
        transport_name = endpoint.name
        print(f"\n[2] the stream endpoint: {endpoint.name}")
        try:
            (cold,) = endpoint.run([story_body(ARGUMENTS.length, ARGUMENTS.seed + 100)])
            print_latency("first story of the daphne process (loads the model)", cold)
            (single,) = endpoint.run([story_body(ARGUMENTS.length, ARGUMENTS.seed)])
            print_latency("second story (warm process)", single)
        except BaseException:
            endpoint.stop()
            raise
    else:
        print(f"\n[2] {STREAM_PATH} is not served yet; every latency above is through the {job.name}")

    # Raw llama-cpp-python on the writer's first prompt, from a cold prompt cache.
    writer_calls = [call for call in calls if role_of(call.started_at, local, local.requested_at) == "writer"]
    first_prompt = writer_calls[0].prompt
    raw = raw_first_token_benchmark(first_prompt, threads, rounds=ARGUMENTS.rounds, max_tokens=RAW_FIRST_TOKENS)
    raw_ttft = raw["median_first_token_seconds"]
    raw_word = raw["median_first_word_seconds"]
    goal = 1.2 * raw_ttft + 0.050
    print(f"\n[3] writer's first prompt ({raw['prompt_tokens']} tokens) on raw {raw['implementation']}, {raw['n_threads']} threads")
    print(
        f"raw time to first token: median {raw_ttft * 1000:.0f} ms of {ARGUMENTS.rounds} "
        f"({', '.join(f'{value * 1000:.0f}' for value in raw['first_token_seconds'])} ms); "
        f"to first text chunk {raw['median_first_text_seconds'] * 1000:.0f} ms; "
        f"to the chunk that begins a second word (a whole first word) {raw_word * 1000:.0f} ms"
    )
    first_call = writer_calls[0]
    writer_start = local.requested_at + (local_figures["writer_start"] or 0.0)
    print(
        f"in-process writer: start to its first model call {milliseconds(first_call.started_at - writer_start)}, "
        f"first call's time to first token {milliseconds(first_call.completion.prompt_seconds)} "
        f"({first_call.completion.prompt_tokens - first_call.completion.cached_prompt_tokens} of "
        f"{first_call.completion.prompt_tokens} prompt tokens evaluated), "
        f"start to first sampled token {milliseconds(first_call.first_token_at - writer_start)}"
    )
    measured = writer_figures(single, Story.objects.get(pk=single.story_id).plan)
    model_delta = measured["writer_to_first_model_delta"]
    print(
        f"goal: writer start to first model-written delta <= 1.2 x {raw_ttft * 1000:.0f} + 50 = {goal * 1000:.0f} ms; "
        f"measured {milliseconds(model_delta)} ({'met' if model_delta is not None and model_delta <= goal else 'missed'}); "
        f"the cue delta came after {milliseconds(measured['writer_to_first_delta'])}; "
        f"raw time to a whole first word {raw_word * 1000:.0f} ms"
        + (f", ratio {model_delta / raw_word:.2f}" if model_delta is not None else "")
    )

    # Decode throughput of the measured stream's writer against raw decoding.
    run = writer_run(single.story_id)
    mean_prompt = run.prompt_tokens / max(1, run.details["model_calls"])
    raw_decode = raw_decoding(
        prompt_of_tokens(Story.objects.get(pk=single.story_id).content, round(mean_prompt)), run.completion_tokens, threads
    )
    writer_seconds = run.seconds
    print(f"\n[4] decode throughput")
    print(
        f"writer of the measured stream: {run.completion_tokens} tokens in {run.details['model_calls']} calls, "
        f"decode {decode_rate(run):.1f} tokens/s; over the whole step ({writer_seconds:.1f} s, prompts and saving "
        f"deltas included) {run.completion_tokens / writer_seconds:.1f} tokens/s"
    )
    print(
        f"raw: {raw_decode['tokens']} tokens in {raw_decode['runs']} runs from a {raw_decode['prompt_tokens']}-token prompt, "
        f"decode {raw_decode['tokens_per_second']:.1f} tokens/s; ratio {decode_rate(run) / raw_decode['tokens_per_second']:.3f} (goal >= 0.9)"
    )

    # Concurrent streams against one.
    if ARGUMENTS.streams > 0:
        bodies = [story_body(ARGUMENTS.length, ARGUMENTS.seed + 1 + index) for index in range(ARGUMENTS.streams)]
        transport = endpoint if endpoint is not None else job
        print(f"\n[5] {ARGUMENTS.streams} concurrent streams through the {transport_name}")
        try:
            timelines = transport.run(bodies)
        finally:
            if endpoint is not None:
                endpoint.stop()
        for index, timeline in enumerate(timelines, start=1):
            print_latency(f"stream {index}", timeline)
        ends = [timeline.ended_at or 0.0 for timeline in timelines]
        starts = [timeline.requested_at for timeline in timelines]
        wall = max(start + end for start, end in zip(starts, ends)) - min(starts)
        aggregate = writer_tokens([timeline.story_id for timeline in timelines]) / wall
        one = writer_run(single.story_id).completion_tokens / (single.ended_at or float("nan"))
        print(
            f"aggregate: {aggregate:.1f} writer tokens/s over {wall:.1f} s; one stream: {one:.1f} writer tokens/s "
            f"from request to end; ratio {aggregate / one:.2f}"
        )
    elif endpoint is not None:
        endpoint.stop()
    print(f"\nload average at end (1, 5, 15 min): {load_average()}")


if __name__ == "__main__":
    main()
