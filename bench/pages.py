"""Benchmark the writer pages under daphne for a writer with 1,000 stories in PostgreSQL.

It creates a separate database, ``storyengine_bench_pages`` by default (the
``--database-url`` option or ``BENCH_DATABASE_URL``), which is dropped and created
anew unless ``--keep-database`` is given. It migrates it and bulk-creates one
writer's completed stories with Telugu text (bench/api.py's generator), plus a
version and an emotional arc for the story that is read. Then it serves the site
with ``manage.py serve`` (one daphne process, embedded mode, ``DJANGO_DEBUG=0``,
static files collected first as ``make run`` does)
on a free port of 127.0.0.1 and requests each page one after another with the
writer's session cookie:

- ``library``: ``GET /stories``, the newest page of the library;
- ``library search``: ``GET /stories?search=గోదావరి``, a Telugu search over every story;
- ``reading``: ``GET /stories/<id>`` of a finished story;
- ``compose``: ``GET /stories/new``.

Latency is measured in this process from sending a request to reading the last
byte of its response, over ``--requests`` requests per page after
``--warmup`` unmeasured ones. It prints p50, p95 and max per page in
milliseconds (p95 by nearest rank; goal: under 200 ms). Traffic goes to
127.0.0.1 only.

Run: ``.venv/bin/python bench/pages.py [--requests 200] [--stories 1000]``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import (  # noqa: E402
    CONTEXTS,
    SENTENCES,
    STORY_TYPES,
    TITLES,
    configure_environment,
    drop_database,
    free_port,
    recreate_database,
    start_daphne,
    stop_daphne,
    story_text,
)

logger = logging.getLogger("bench.pages")

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storyengine_bench_pages"
HOST = "127.0.0.1"
BENCH_EMAIL = "bench-pages@storyengine.local"
SEARCH_WORD = "గోదావరి"
GOAL_P95_MS = 200.0


@dataclass(frozen=True)
class PageTarget:
    name: str
    path: str
    # Text the page must contain, so an error page or a login redirect is never timed as a success.
    marker: str


@dataclass(frozen=True)
class PageMeasurement:
    target: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float


def nearest_rank(sorted_values: list[float], fraction: float) -> float:
    """Return the value at 1-based rank ceil(fraction * n) of ``sorted_values``."""
    return sorted_values[max(1, math.ceil(fraction * len(sorted_values))) - 1]


def populate(count: int) -> tuple[str, str]:
    """Migrate, create the writer and ``count`` completed stories; return (session cookie, read story id)."""
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from analysis.text import word_count
    from stories.models import Story, StoryVersion
    from stories.search import story_search_text

    call_command("migrate", verbosity=0, interactive=False)
    # The pages link hashed static file names, which only collectstatic's manifest
    # contains; `make run` runs it too.
    call_command("collectstatic", verbosity=0, interactive=False)
    user_model = get_user_model()
    user = user_model.objects.filter(email=BENCH_EMAIL).first()
    if user is None:
        user = user_model.objects.create_user(email=BENCH_EMAIL, username="bench-pages", password=None)

    existing = Story.objects.filter(owner=user).count()
    rng = random.Random(20261205)
    started = time.perf_counter()
    batch: list[Story] = []
    for index in range(existing, count):
        title = f"{rng.choice(TITLES)} {index + 1}"
        content = story_text(rng)
        paragraph_count = content.count("\n\n") + 1
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
                word_count=word_count(content),
                quality_score=round(rng.uniform(0.4, 0.95), 3),
                emotions=[{"emotion": "karuna", "score": 0.4}, {"emotion": "shanta", "score": 0.3}],
                metadata={
                    "title": title,
                    "emotional_arc": [
                        {"position": position, "segment": "paragraph", "emotion": "karuna", "intensity": 0.5}
                        for position in range(paragraph_count)
                    ],
                },
                version=1,
            )
        )
        if len(batch) == 500:
            Story.objects.bulk_create(batch)
            batch.clear()
    if batch:
        Story.objects.bulk_create(batch)

    # bulk_create stamps every row with one created_at; spread them a minute apart
    # so the library's newest-first order is a real sort.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE stories_story AS story SET created_at = now() - numbered.n * interval '1 minute' "
            "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM stories_story WHERE owner_id = %s) "
            "AS numbered WHERE story.id = numbered.id",
            [user.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) stories_story")

    read_story = Story.objects.filter(owner=user).order_by("-created_at").first()
    if not StoryVersion.objects.filter(story=read_story).exists():
        StoryVersion.objects.create(
            story=read_story,
            number=1,
            title=read_story.title,
            content=read_story.content,
            quality_score=read_story.quality_score,
            word_count=read_story.word_count,
        )
    logger.info(
        "Database contains %d stories of user %s (%d created in %.1f s)",
        Story.objects.filter(owner=user).count(),
        user.pk,
        count - existing,
        time.perf_counter() - started,
    )

    # force_login writes a real session row, the same one a sign-in through the page writes.
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value, str(read_story.pk)


def fetch(url: str, session: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}", "Accept-Language": "te"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def measure(base_url: str, session: str, target: PageTarget, requests: int, warmup: int) -> PageMeasurement:
    url = base_url + target.path
    for _ in range(warmup):
        fetch(url, session)
    latencies: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        status, body = fetch(url, session)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if status != 200 or target.marker.encode() not in body:
            raise SystemExit(f"{target.name} ({target.path}) returned {status} without {target.marker!r}")
        latencies.append(elapsed_ms)
    latencies.sort()
    return PageMeasurement(
        target=target.name,
        requests=len(latencies),
        p50_ms=statistics.median(latencies),
        p95_ms=nearest_rank(latencies, 0.95),
        max_ms=latencies[-1],
    )


def emit(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def report(measurements: list[PageMeasurement], stories: int) -> None:
    # Other work on the machine takes CPU from daphne, so the load sits beside the figures.
    load_1min, load_5min, _ = os.getloadavg()
    emit(f"\n{stories} stories; load average after the run: {load_1min:.2f} over 1 min, {load_5min:.2f} over 5 min")
    emit("| page | requests | p50 ms | p95 ms | max ms | p95 goal < 200 ms |")
    emit("|---|---|---|---|---|---|")
    for m in measurements:
        verdict = "met" if m.p95_ms < GOAL_P95_MS else "missed"
        emit(f"| {m.target} | {m.requests} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | {m.max_ms:.1f} | {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--stories", type=int, default=1_000, help="stories of the benchmark writer")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured requests per page first")
    parser.add_argument("--keep-database", action="store_true", help="reuse the database and keep it afterwards")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if not arguments.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"--database-url={arguments.database_url!r} is invalid: expected a postgres:// URL.")
    if arguments.requests < 1:
        raise SystemExit(f"--requests={arguments.requests} is invalid: measure at least 1 request per page.")

    environment = configure_environment(arguments.database_url, None)
    reused = recreate_database(arguments.database_url, keep=arguments.keep_database)
    logger.info("Database %s %s", arguments.database_url, "reused" if reused else "created")
    session, story_id = populate(arguments.stories)

    targets = [
        PageTarget("library", "/stories", "story-card"),
        PageTarget("library search", "/stories?" + urllib.parse.urlencode({"search": SEARCH_WORD}), "story-card"),
        PageTarget("reading", f"/stories/{story_id}", "story__text"),
        PageTarget("compose", "/stories/new", "compose-form"),
    ]
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as scratch:
        log_path = Path(scratch) / "daphne.log"
        process = start_daphne(port, 1, environment, log_path)
        try:
            measurements = [
                measure(base_url, session, target, arguments.requests, arguments.warmup) for target in targets
            ]
            report(measurements, arguments.stories)
        except SystemExit:
            sys.stderr.write(f"The end of the daphne log:\n{log_path.read_text(encoding='utf-8')[-6000:]}\n")
            raise
        finally:
            stop_daphne(process)
            if not arguments.keep_database:
                from django.db import connections

                connections.close_all()
                drop_database(arguments.database_url)


if __name__ == "__main__":
    main()
