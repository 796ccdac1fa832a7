"""DELETE /api/v2/stories/{id}: the owner deletes a story with its agent runs and versions."""

from __future__ import annotations

import logging
import time

import pytest
from django.db import connection

from agents.models import AgentRun
from storyengine.jobs import wait_for_embedded_jobs
from stories import services
from stories.jobs import run_generation
from stories.models import Story, StoryStatus, StoryVersion
from tests.stories.support import PROMPT, assert_error, make_story, make_version

POLL_SECONDS = 0.1
WRITER_START_TIMEOUT = 300

pytestmark = pytest.mark.django_db


def url(story) -> str:
    return f"/api/v2/stories/{story.pk}"


def test_owner_deletes_story_with_runs_and_versions(owner, owner_client):
    story = make_story(owner)
    AgentRun.objects.create(story=story, agent_id="writer", seconds=1.0)
    make_version(story, 1)

    response = owner_client.delete(url(story))

    assert response.status_code == 204
    assert response.content == b""
    assert not Story.objects.filter(pk=story.pk).exists()
    assert not AgentRun.objects.filter(story_id=story.pk).exists()
    assert not StoryVersion.objects.filter(story_id=story.pk).exists()


def test_delete_leaves_other_stories_alone(owner, owner_client):
    story = make_story(owner)
    kept = make_story(owner)
    AgentRun.objects.create(story=kept, agent_id="writer", seconds=1.0)

    owner_client.delete(url(story))

    assert Story.objects.filter(pk=kept.pk).exists()
    assert AgentRun.objects.filter(story=kept).count() == 1


def test_second_delete_is_404(owner, owner_client):
    story = make_story(owner)
    owner_client.delete(url(story))

    assert_error(owner_client.delete(url(story)), 404, url(story))


def test_deleted_story_is_404_to_read(owner, owner_client):
    story = make_story(owner)
    owner_client.delete(url(story))

    assert_error(owner_client.get(url(story)), 404, url(story))


def test_other_user_gets_403_for_public_story(owner, other_client):
    story = make_story(owner, is_public=True)

    error = assert_error(other_client.delete(url(story)), 403, url(story))

    assert error["message"] == "Only the owner of this story may delete it."
    assert Story.objects.filter(pk=story.pk).exists()


def test_other_user_gets_404_for_private_story(owner, other_client):
    story = make_story(owner)

    error = assert_error(other_client.delete(url(story)), 404, url(story))

    assert error["message"] == "Story not found."
    assert Story.objects.filter(pk=story.pk).exists()


def test_staff_cannot_delete_other_users_story(owner, staff_client):
    public = make_story(owner, is_public=True)
    private = make_story(owner)

    assert_error(staff_client.delete(url(public)), 403, url(public))
    assert_error(staff_client.delete(url(private)), 404, url(private))
    assert Story.objects.filter(pk__in=[public.pk, private.pk]).count() == 2


def test_delete_of_unknown_story_is_404(owner_client):
    path = "/api/v2/stories/00000000-0000-4000-8000-000000000000"

    assert_error(owner_client.delete(path), 404, path)


def test_anonymous_delete_is_401(owner, anonymous_client):
    story = make_story(owner, is_public=True)

    assert_error(anonymous_client.delete(url(story)), 401, url(story))
    assert Story.objects.filter(pk=story.pk).exists()


def test_deleted_queued_story_is_not_generated(owner, owner_client):
    story = make_story(owner, status=StoryStatus.QUEUED, title="", content="")

    response = owner_client.delete(url(story))
    run_generation(str(story.pk))

    assert response.status_code == 204
    assert not Story.objects.filter(pk=story.pk).exists()
    assert not AgentRun.objects.filter(story_id=story.pk).exists()


def test_delete_cancels_unfinished_story_before_removing_it(owner):
    story = make_story(owner, status=StoryStatus.RUNNING, title="", content="")
    statuses: list[str] = []

    def record_status(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("DELETE") and '"stories_story"' in sql:
            statuses.append(Story.objects.values_list("status", flat=True).get(pk=story.pk))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record_status):
        services.delete_story(owner, story.pk)

    assert statuses[0] == StoryStatus.CANCELLED
    assert not Story.objects.filter(pk=story.pk).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_delete_stops_running_job(owner, owner_client, caplog):
    params = services.GenerationParams(
        prompt=PROMPT, story_type="short_story", cultural_context="rural", target_length=300
    )
    story = services.start_generation(owner, params)
    deadline = time.monotonic() + WRITER_START_TIMEOUT
    while not AgentRun.objects.filter(story_id=story.pk, agent_id="writer").exists():
        assert time.monotonic() < deadline, "the writer did not start in time"
        time.sleep(POLL_SECONDS)

    with caplog.at_level(logging.INFO, logger="stories"):
        response = owner_client.delete(url(story))
        wait_for_embedded_jobs(timeout=WRITER_START_TIMEOUT)

    assert response.status_code == 204
    assert not Story.objects.filter(pk=story.pk).exists()
    assert not AgentRun.objects.filter(story_id=story.pk).exists()
    assert not StoryVersion.objects.filter(story_id=story.pk).exists()
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == []
    assert any(str(story.pk) in record.getMessage() and "cancelled" in record.getMessage() for record in caplog.records)
