"""Validation of an agent's configuration, as the admin form applies it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from agents.models import Agent

pytestmark = pytest.mark.django_db


def test_seeded_agents_cover_every_pipeline_role():
    assert set(Agent.objects.values_list("id", flat=True)) == {
        "planner",
        "cultural",
        "writer",
        "emotion",
        "editor",
        "refiner",
    }


def test_seeded_configuration_is_valid():
    for agent in Agent.objects.all():
        agent.full_clean()


def test_unknown_placeholder_is_rejected_with_allowed_names():
    writer = Agent.objects.get(pk="writer")
    writer.prompt_template = "{title}\n{villain}\n{story_so_far}"

    with pytest.raises(ValidationError) as caught:
        writer.full_clean()

    message = caught.value.message_dict["prompt_template"][0]
    assert "{villain}" in message
    assert "{story_so_far}" in message


def test_unclosed_brace_is_rejected():
    writer = Agent.objects.get(pk="writer")
    writer.prompt_template = "{title"

    with pytest.raises(ValidationError) as caught:
        writer.full_clean()

    assert "prompt_template" in caught.value.message_dict


@pytest.mark.parametrize("stop", [["", "\n"], "\n", [1, 2]])
def test_invalid_stop_strings_are_rejected(stop):
    writer = Agent.objects.get(pk="writer")
    writer.stop = stop

    with pytest.raises(ValidationError) as caught:
        writer.full_clean()

    assert "stop" in caught.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [("temperature", 2.5), ("top_p", 0.0), ("top_k", 1001), ("repeat_penalty", 0.9), ("max_tokens", 0)],
)
def test_sampling_values_out_of_range_are_rejected(field, value):
    writer = Agent.objects.get(pk="writer")
    setattr(writer, field, value)

    with pytest.raises(ValidationError) as caught:
        writer.full_clean()

    assert field in caught.value.message_dict


def test_admin_change_form_rejects_invalid_template(staff):
    from django.test import Client

    staff.is_superuser = True
    staff.save()
    client = Client()
    client.force_login(staff)
    writer = Agent.objects.get(pk="writer")
    url = f"/admin/agents/agent/{writer.pk}/change/"
    form = {
        "name": writer.name,
        "description": writer.description,
        "enabled": "on",
        "temperature": "0.8",
        "top_p": "0.95",
        "top_k": "40",
        "repeat_penalty": "1.15",
        "max_tokens": "96",
        "stop": "[]",
        "prompt_template": "{title} {villain}",
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
        "runs-MIN_NUM_FORMS": "0",
        "runs-MAX_NUM_FORMS": "0",
    }

    response = client.post(url, form)

    assert response.status_code == 200
    assert "{villain}" in response.content.decode()
    writer.refresh_from_db()
    assert "{villain}" not in writer.prompt_template
