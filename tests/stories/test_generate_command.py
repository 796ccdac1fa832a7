"""manage.py generate_story runs the same service code as the API."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agents.models import AgentRun
from stories.models import Story, StoryStatus

PROMPT = "గోదావరి ఒడ్డున ఒక చిన్న గ్రామంలో ఒక పేద రైతు కుటుంబం"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.smoke
def test_command_prints_story_title_and_scores():
    output = StringIO()

    call_command(
        "generate_story",
        prompt=PROMPT,
        length=100,
        emotion=["karuna"],
        cultural_context="rural",
        seed=11,
        stdout=output,
        stderr=StringIO(),
    )

    story = Story.objects.get()
    printed = output.getvalue()
    assert story.status == StoryStatus.COMPLETED
    assert printed.startswith(story.title + "\n")
    assert story.content in printed
    assert f"quality_score: {story.quality_score:.3f}" in printed
    assert "telugu_script:" in printed
    assert AgentRun.objects.filter(story=story).count() == 5


def test_command_rejects_short_prompt_without_writing():
    with pytest.raises(CommandError) as caught:
        call_command("generate_story", prompt="చిన్న", stdout=StringIO(), stderr=StringIO())

    assert "prompt" in str(caught.value)
    assert Story.objects.count() == 0


def test_command_rejects_unknown_emotion():
    with pytest.raises(CommandError) as caught:
        call_command("generate_story", prompt=PROMPT, emotion=["sadness"], stdout=StringIO(), stderr=StringIO())

    assert "emotion_focus" in str(caught.value)
    assert Story.objects.count() == 0
