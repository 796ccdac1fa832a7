"""Stories written straight to the database, and assertions shared by the story endpoint tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from analysis.text import word_count
from stories.models import Story, StoryStatus, StoryVersion

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"
CONTENT = (
    "ఒక ఊరిలో సీత అనే అమ్మాయి ఉండేది. ఆమె రోజూ గోదావరి ఒడ్డుకు వెళ్ళేది.\n\n"
    "ఒక రోజు ఆమెకు ఒక చిన్న పడవ కనిపించింది! అది ఎవరిది?\n\n"
    "ఆ పడవ ఒక ముసలి జాలరిది. సీత అతనికి సహాయం చేసింది."
)
EMOTIONAL_ARC = [
    {"position": 0, "segment": "paragraph", "emotion": "shanta", "intensity": 0.2},
    {"position": 1, "segment": "paragraph", "emotion": "adbhuta", "intensity": 0.6},
    {"position": 2, "segment": "paragraph", "emotion": "karuna", "intensity": 0.6},
]
ENVELOPE_KEYS = {"message", "details", "timestamp", "path"}
BASE_TIME = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(330))


def make_story(owner, minutes: int = 0, **fields: Any) -> Story:
    """Create a completed story, ``minutes`` after a fixed base time.

    ``created_at`` is set after the insert because ``auto_now_add`` overrides any value given to create().
    """
    values: dict[str, Any] = {
        "prompt": PROMPT,
        "target_length": 100,
        "status": StoryStatus.COMPLETED,
        "title": "సీత పడవ",
        "content": CONTENT,
        "quality_score": 0.5,
    }
    values.update(fields)
    values.setdefault("word_count", word_count(values["content"]))
    story = Story.objects.create(owner=owner, **values)
    created_at = BASE_TIME + timedelta(minutes=minutes)
    Story.objects.filter(pk=story.pk).update(created_at=created_at)
    story.created_at = created_at
    return story


def make_version(story: Story, number: int, **fields: Any) -> StoryVersion:
    values: dict[str, Any] = {
        "title": story.title,
        "content": story.content,
        "quality_score": story.quality_score,
        "word_count": story.word_count,
    }
    values.update(fields)
    return StoryVersion.objects.create(story=story, number=number, **values)


def assert_error(response, status: int, path: str) -> dict[str, Any]:
    """Assert an error response in the envelope and return its ``error`` object."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == ENVELOPE_KEYS
    assert error["path"] == path
    return error


def assert_field_error(response, path: str, field: str) -> dict[str, Any]:
    """Assert a 400 whose details name ``field`` and return the ``error`` object."""
    error = assert_error(response, 400, path)
    assert field in error["details"], error["details"]
    return error
