"""Start-up recovery in embedded mode: jobs left by a stopped server run again."""

from __future__ import annotations

import pytest

from storyengine.jobs import wait_for_embedded_jobs
from stories.models import Story, StoryStatus, StoryVersion
from stories.recovery import recover_unfinished_stories

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
CONTENT = (
    "గోదావరి దగ్గర రాము అనే రైతు ఉండేవాడు. అతనికి ఒక చిన్న పొలం ఉండేది.\n\n"
    "ఒక రోజు వర్షం రాలేదు. పొలం ఎండిపోయింది. రాము చాలా బాధపడ్డాడు."
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_recovery_resumes_generation_and_refinement(owner):
    # The server stopped a moment ago, so the running story looks recently touched:
    # in embedded mode no other process can be writing it.
    generation = Story.objects.create(
        owner=owner,
        prompt=PROMPT,
        target_length=60,
        cultural_context="rural",
        status=StoryStatus.RUNNING,
        attempts=1,
        content=CONTENT,
        advanced_options={"seed": 4},
    )
    refinement = Story.objects.create(
        owner=owner,
        prompt=PROMPT,
        target_length=100,
        cultural_context="rural",
        status=StoryStatus.QUEUED,
        title="రాము కథ",
        content=CONTENT,
        advanced_options={"seed": 4},
        pending_refinement={
            "refinement_type": "language_polishing",
            "improvements": ["సరళమైన భాష"],
            "preserve_elements": [],
            "parameters": {},
            "from_version": 1,
        },
    )
    StoryVersion.snapshot(refinement).save()

    dispatched = recover_unfinished_stories()
    wait_for_embedded_jobs(timeout=600)

    assert dispatched == 2
    generation.refresh_from_db()
    assert generation.status == StoryStatus.COMPLETED, generation.error
    assert generation.attempts == 2
    assert generation.content.startswith(CONTENT)
    refinement.refresh_from_db()
    assert refinement.status == StoryStatus.COMPLETED, refinement.error
    assert refinement.pending_refinement == {}
    assert refinement.version == 2
    assert StoryVersion.objects.filter(story=refinement).count() == 2
