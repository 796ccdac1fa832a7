"""Benchmark the HTTP API under daphne against PostgreSQL holding 10,000 stories.

It creates a separate database, ``storyengine_bench`` by default, which is
dropped and created anew unless ``--keep-database`` is given. It migrates it and
bulk-creates one user's stories with Telugu text. Then it serves the site on a
free port of 127.0.0.1 the way a deployment does, with ``manage.py serve``:
``--processes`` daphne processes (2 by default, one per core here) sharing one
port, in the distributed mode (Redis at ``--redis-url``) since several
processes need it. ``STORYENGINE_BENCH_VIEWS=1`` mounts ``/bench/json``: a plain
JsonResponse view that goes through the same middleware and is the baseline for
the others. Then wrk (Debian's package: ``apt-get install wrk``) loads three
targets at each connection count for a bounded time and request count:

- ``GET /api/v2/stories?limit=20`` with the user's bearer token;
- ``GET /health``;
- ``GET /bench/json``.

It prints requests per second and p50/p95/p99 latency for each, the ratio of
/health's rate to the bare view's (goal: at least 0.8), and the story list's
p95 at 10 connections (goal: under 100 ms). Traffic goes to 127.0.0.1 only.

Run: ``.venv/bin/python bench/api.py [--runs 2] [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("bench.api")

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storyengine_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
HOST = "127.0.0.1"
BENCH_EMAIL = "bench-api@storyengine.local"
RESULT_PREFIX = "BENCH_RESULT "

# wrk calls response() for every HTTP response and done() once per run. A thread stops
# itself after its share of the request cap, so a run ends at the cap or at -d,
# whichever comes first. Latencies are in microseconds.
WRK_SCRIPT = """
local limit = 0
local count = 0

function init(args)
  limit = tonumber(args[1]) or 0
end

function response(status, headers, body)
  count = count + 1
  if limit > 0 and count >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"non_2xx": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\\n',
    "RESULT_PREFIX", summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
""".replace("RESULT_PREFIX", RESULT_PREFIX)

SENTENCES = [
    "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో రాముడు అనే పేద రైతు ఉండేవాడు.",
    "ప్రతి ఉదయం అతను పొలానికి వెళ్ళి సాయంత్రం వరకు కష్టపడేవాడు.",
    "సంక్రాంతి పండుగ వచ్చినప్పుడు ఊరంతా ముగ్గులతో కళకళలాడింది.",
    "అమ్మమ్మ పిల్లలకు పాత కథలు చెప్పి నవ్వించింది.",
    "వర్షం రాకపోవడంతో రైతుల ముఖాల్లో దిగులు కనిపించింది.",
    "క్షమ గుణం ఉన్నవాడే నిజమైన ధనవంతుడని గురువు చెప్పాడు.",
    "రామ్‌కుమార్ పట్నం నుంచి తిరిగి వచ్చి ఊరి బడిలో పాఠాలు చెప్పాడు.",
    "ఆ రాత్రి చెరువు గట్టున దీపాలు మెరిసాయి.",
    "చిన్నారి లక్ష్మి తన పుస్తకాన్ని పక్కింటి అమ్మాయికి ఇచ్చింది.",
    "పెద్దల మాట విని గ్రామస్తులు కలిసి కొత్త బావి తవ్వారు.",
    "పంట చేతికి వచ్చిన రోజు అందరూ పులిహోర పంచుకున్నారు.",
    "కృష్ణుడు అనే కుర్రాడు తన తప్పు ఒప్పుకుని క్షమాపణ అడిగాడు.",
]
TITLES = ["రైతు కథ", "పండుగ రోజు", "చెరువు గట్టు", "కొత్త బావి", "అమ్మమ్మ కథలు", "క్షమ"]
STORY_TYPES = ["short_story", "folk_tale", "moral_story", "children_story"]
CONTEXTS = ["rural", "traditional", "modern", "festival"]


@dataclass
class Target:
    name: str
    path: str
    needs_token: bool


@dataclass
class Measurement:
    target: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


TARGETS = [
    Target("stories?limit=20", "/api/v2/stories?limit=20", needs_token=True),
    Target("health", "/health", needs_token=False),
    Target("bare JSON view", "/bench/json", needs_token=False),
]


def configure_environment(database_url: str, redis_url: str | None) -> dict[str, str]:
    """Set the variables the benchmark and daphne share and return daphne's environment.

    With one process Redis is left out: the measured endpoints use neither the
    cache nor the channel layer. Several processes need the distributed mode
    (``manage.py serve`` refuses them without Redis), so they get ``redis_url``.
    """
    os.environ["DATABASE_URL"] = database_url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "storyengine.settings"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["STORYENGINE_BENCH_VIEWS"] = "1"
    # daphne logs warnings only, so a 4xx logged per request cannot slow the run.
    return {**os.environ, "DJANGO_LOG_LEVEL": "WARNING"}


def recreate_database(database_url: str, keep: bool) -> bool:
    """Create the benchmark database; return True when it already existed and was kept."""
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1]
    maintenance_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists and keep:
            return True
        if exists:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return False


def drop_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1]
    maintenance_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def story_text(rng: random.Random) -> str:
    """Return 4 paragraphs of 5 to 9 sentences drawn from SENTENCES (about 150 to 300 words)."""
    paragraphs = [" ".join(rng.choices(SENTENCES, k=rng.randint(5, 9))) for _ in range(4)]
    return "\n\n".join(paragraphs)


def populate(count: int) -> str:
    """Migrate, create the benchmark user and ``count`` completed stories; return an access token."""
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from rest_framework_simplejwt.tokens import RefreshToken

    from stories.models import Story
    from stories.search import story_search_text

    call_command("migrate", verbosity=0, interactive=False)
    user_model = get_user_model()
    user = user_model.objects.filter(email=BENCH_EMAIL).first()
    if user is None:
        user = user_model.objects.create_user(email=BENCH_EMAIL, username="bench-api", password=None)

    existing = Story.objects.filter(owner=user).count()
    rng = random.Random(20261204)
    started = time.perf_counter()
    batch: list[Story] = []
    for index in range(existing, count):
        title = f"{rng.choice(TITLES)} {index + 1}"
        content = story_text(rng)
        batch.append(
            Story(
                owner=user,
                prompt=rng.choice(SENTENCES),
                story_type=STORY_TYPES[index % len(STORY_TYPES)],
                cultural_context=CONTEXTS[index % len(CONTEXTS)],
                target_length=300,
                status="completed",
                title=title,
                content=content,
                search_text=story_search_text(title, content),
                word_count=len(content.split()),
                quality_score=round(rng.uniform(0.4, 0.95), 3),
                is_public=index % 10 == 0,
            )
        )
        if len(batch) == 1000:
            Story.objects.bulk_create(batch)
            batch.clear()
    if batch:
        Story.objects.bulk_create(batch)

    # bulk_create stamps every row with the same created_at; spread them one minute
    # apart so the default newest-first order is a real sort, not a tie.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE stories_story AS story SET created_at = now() - numbered.n * interval '1 minute' "
            "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM stories_story WHERE owner_id = %s) "
            "AS numbered WHERE story.id = numbered.id",
            [user.pk],
        )
    # Autovacuum would reach a table this size within a minute. Vacuuming now sets
    # the visibility map, so the per-owner count runs as an index-only scan, as it
    # would on a settled production table.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) stories_story")
    logger.info(
        "Database contains %d stories of user %s (%d created in %.1f s)",
        Story.objects.filter(owner=user).count(),
        user.pk,
        count - existing,
        time.perf_counter() - started,
    )
    return str(RefreshToken.for_user(user).access_token)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def get_json(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def start_daphne(port: int, processes: int, environment: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``manage.py serve`` (daphne processes on one port); wait up to 60 s for /health."""
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", HOST, "--port", str(port), "--processes", str(processes)],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne exited with code {process.returncode}; see {log_path}")
        try:
            if get_json(f"http://{HOST}:{port}/health")[0] == 200:
                logger.info("daphne %d is serving on %s:%d", process.pid, HOST, port)
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop_daphne(process)
    raise SystemExit(f"daphne did not respond to /health within 60 s; see {log_path}")


def stop_daphne(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def run_wrk(
    script: Path, url: str, connections: int, seconds: int, max_requests: int, token: str | None
) -> dict[str, int]:
    """Run one wrk thread with ``connections`` connections for at most ``seconds`` and ``max_requests``."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    command += [url, "--", str(max_requests)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    for line in result.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line.removeprefix(RESULT_PREFIX))
    raise SystemExit(f"wrk printed no result line:\n{result.stdout}\n{result.stderr}")


def measure(
    script: Path, base_url: str, token: str, target: Target, connections: int, seconds: int, max_requests: int
) -> Measurement:
    url = base_url + target.path
    raw = run_wrk(script, url, connections, seconds, max_requests, token if target.needs_token else None)
    errors = raw["non_2xx"] + raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return Measurement(
        target=target.name,
        connections=connections,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=errors,
    )


def emit(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def report(run: int, measurements: list[Measurement]) -> None:
    """Print the run's table, the /health to bare-view ratios and the story list's p95 at 10 connections."""
    # Other work on the machine takes CPU from daphne, so the load sits beside the figures.
    load_1min, load_5min, _ = os.getloadavg()
    emit(f"\nrun {run} (load average after it: {load_1min:.2f} over 1 min, {load_5min:.2f} over 5 min)")
    emit("| target | connections | requests | seconds | requests/s | p50 ms | p95 ms | p99 ms | errors |")
    emit("|---|---|---|---|---|---|---|---|---|")
    for m in measurements:
        emit(
            f"| {m.target} | {m.connections} | {m.requests} | {m.seconds:.1f} | {m.requests_per_second:.0f} | "
            f"{m.p50_ms:.1f} | {m.p95_ms:.1f} | {m.p99_ms:.1f} | {m.errors} |"
        )
    by_key = {(m.target, m.connections): m for m in measurements}
    for connections in sorted({m.connections for m in measurements}):
        health = by_key[("health", connections)].requests_per_second
        bare = by_key[("bare JSON view", connections)].requests_per_second
        stories = by_key[("stories?limit=20", connections)].requests_per_second
        emit(
            f"{connections} connections: health/bare = {health / bare:.2f} (goal >= 0.8), "
            f"stories/bare = {stories / bare:.2f}"
        )
    if ("stories?limit=20", 10) in by_key:
        p95 = by_key[("stories?limit=20", 10)].p95_ms
        emit(f"stories?limit=20 p95 at 10 connections: {p95:.1f} ms (goal < 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--stories", type=int, default=10_000, help="stories of the benchmark user")
    parser.add_argument("--connections", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=int, default=10, help="maximum seconds of each measured wrk run")
    parser.add_argument("--max-requests", type=int, default=20_000, help="maximum requests of each wrk run")
    parser.add_argument("--warmup-seconds", type=int, default=2, help="unmeasured wrk run per target first")
    parser.add_argument("--runs", type=int, default=1, help="times the whole table is measured")
    parser.add_argument("--keep-database", action="store_true", help="reuse the database and keep it afterwards")
    parser.add_argument("--processes", type=int, default=2, help="daphne processes on one port (default 2)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help="Redis for the distributed mode that several processes need",
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install Debian's package with `apt-get install wrk`.")
    if not arguments.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"--database-url={arguments.database_url!r} is invalid: expected a postgres:// URL.")

    environment = configure_environment(arguments.database_url, arguments.redis_url if arguments.processes > 1 else None)
    reused = recreate_database(arguments.database_url, keep=arguments.keep_database)
    logger.info("Database %s %s", arguments.database_url, "reused" if reused else "created")
    token = populate(arguments.stories)

    port = free_port()
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-api-") as scratch:
        script = Path(scratch) / "report.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        process = start_daphne(port, arguments.processes, environment, Path(scratch) / "daphne.log")
        try:
            status, page = get_json(f"{base_url}/api/v2/stories?limit=20", token)
            if status != 200 or page.get("total") != arguments.stories or len(page.get("stories", [])) != 20:
                raise SystemExit(f"The story list returned {status} with total {page.get('total')}: {page}")

            for target in TARGETS:
                measure(script, base_url, token, target, 10, arguments.warmup_seconds, arguments.max_requests)
            for run in range(1, arguments.runs + 1):
                measurements = [
                    measure(script, base_url, token, target, connections, arguments.seconds, arguments.max_requests)
                    for connections in arguments.connections
                    for target in TARGETS
                ]
                report(run, measurements)
        finally:
            stop_daphne(process)
            if not arguments.keep_database:
                from django.db import connections

                connections.close_all()
                drop_database(arguments.database_url)


if __name__ == "__main__":
    main()
