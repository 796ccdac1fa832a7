"""One worker process loads the model once and keeps its memory flat over many jobs."""

from __future__ import annotations

import pytest

from storyengine.jobs import submit_now
from stories.models import Story, StoryStatus
from stories.tasks import generate_story
from tests.workers.conftest import MEASUREMENTS, wait_until_finished

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
JOBS = 50
# Memory is compared from this job on, once every weight page has been read and
# the caches of the first jobs are warm.
BASELINE_JOB = 10
# A context leaked per job would add tens of MiB each; 64 MiB over 40 jobs also
# catches a leak of 1.6 MiB per job.
MAX_RSS_GROWTH = 64 * 1024 * 1024
MIB = 1024 * 1024

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def test_fifty_jobs_load_model_once_with_flat_memory(owner, start_worker):
    # Tiny budgets keep fifty jobs quick: 8 tokens per model call, a 5-word target.
    worker = start_worker(STORYENGINE_TEST_MAX_TOKENS_CAP="8")
    rss: dict[int, int] = {}
    pool_pids: set[int] = set()

    for number in range(1, JOBS + 1):
        story = Story.objects.create(owner=owner, prompt=PROMPT, target_length=5, advanced_options={"seed": number})
        submit_now(generate_story, str(story.pk))
        story = wait_until_finished(story.pk)
        assert story.status == StoryStatus.COMPLETED, story.error
        [pool] = worker.pool_processes()
        pool_pids.add(pool.pid)
        rss[number] = pool.memory_info().rss

    growth = rss[JOBS] - rss[BASELINE_JOB]
    MEASUREMENTS.append(
        f"{JOBS} jobs in one worker process: RSS {rss[1] / MIB:.1f} MiB after job 1, "
        f"{rss[BASELINE_JOB] / MIB:.1f} MiB after job {BASELINE_JOB}, {rss[JOBS] / MIB:.1f} MiB after job {JOBS} "
        f"({growth / MIB:+.1f} MiB since job {BASELINE_JOB})"
    )
    assert worker.log_count("Loaded model") == 1
    assert len(pool_pids) == 1
    assert growth < MAX_RSS_GROWTH
