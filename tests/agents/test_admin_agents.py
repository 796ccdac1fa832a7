"""The agent pages of the Django admin: live figures, the configuration form, recent runs and changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agents.admin import MAX_STOP_STRING_LENGTH, MAX_STOP_STRINGS, RECENT_RUNS_SHOWN
from agents.configuration import configure_agent
from agents.models import Agent, AgentConfigurationChange, AgentRun, AgentRunOutcome
from tests.agents.test_audit_log import change_form
from tests.conftest import make_user
from tests.stories.support import make_story

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/agents/agent/"
CHANGE_URL = "/admin/agents/agent/{}/change/"
RUN_URL = "/admin/agents/agentrun/{}/change/"


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(make_user("root@example.com", "root", is_staff=True, is_superuser=True))
    return client


def record_runs(story, agent_id: str, outcomes: list[tuple[str, float]]) -> list[AgentRun]:
    """Write finished runs of one agent, one minute apart, oldest first."""
    start = timezone.now() - timedelta(hours=1)
    runs = []
    for index, (outcome, seconds) in enumerate(outcomes):
        started_at = start + timedelta(minutes=index)
        runs.append(
            AgentRun.objects.create(
                story=story,
                agent_id=agent_id,
                started_at=started_at,
                finished_at=started_at + timedelta(seconds=seconds),
                seconds=seconds,
                outcome=outcome,
                prompt_tokens=10,
                completion_tokens=20,
            )
        )
    return runs


def figure(page: str, agent_id: str, name: str) -> str:
    match = re.search(rf'data-agent="{agent_id}" data-figure="{name}">([^<]*)<', page)
    assert match, f"no {name} figure for {agent_id} on the page"
    return match.group(1)


# The list with live figures


def test_list_shows_measured_figures(admin_client, owner):
    story = make_story(owner)
    record_runs(story, "writer", [(AgentRunOutcome.SUCCEEDED, 2.0), (AgentRunOutcome.FAILED, 4.0)])

    page = admin_client.get(LIST_URL).content.decode()

    assert figure(page, "writer", "status") == "idle"
    assert figure(page, "writer", "runs") == "2"
    assert figure(page, "writer", "success_rate") == "50%"
    assert figure(page, "writer", "average_response_time") == "3.00 s"
    assert figure(page, "writer", "p95_seconds") == "4.00 s"


def test_list_shows_dash_for_agent_without_runs(admin_client):
    page = admin_client.get(LIST_URL).content.decode()

    assert figure(page, "planner", "runs") == "0"
    assert figure(page, "planner", "success_rate") == "—"


def test_list_shows_disabled_agent(admin_client):
    Agent.objects.filter(pk="emotion").update(enabled=False)

    page = admin_client.get(LIST_URL).content.decode()

    assert figure(page, "emotion", "status") == "disabled"


def test_list_shows_system_summary_and_refresh_url(admin_client):
    page = admin_client.get(LIST_URL).content.decode()

    assert 'id="agent-summary"' in page
    assert 'data-summary="ai_models"' in page
    assert "/api/v2/agents/status?include_metrics=true" in page


def test_list_needs_staff(owner):
    client = Client()
    client.force_login(owner)

    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# The configuration form


def test_form_help_names_role_placeholders(admin_client):
    page = admin_client.get(CHANGE_URL.format("writer")).content.decode()

    assert "Placeholders of this role: {characters}, {prompt}, {setting}, {story_so_far}, {title}." in page


def test_form_help_says_role_without_prompt(admin_client):
    page = admin_client.get(CHANGE_URL.format("cultural")).content.decode()

    assert "Placeholders of this role: none" in page


def test_form_sampling_inputs_carry_ranges(admin_client):
    page = admin_client.get(CHANGE_URL.format("writer")).content.decode()

    temperature = re.search(r'<input[^>]*name="temperature"[^>]*>', page).group()
    max_tokens = re.search(r'<input[^>]*name="max_tokens"[^>]*>', page).group()
    assert 'min="0.0"' in temperature
    assert 'max="2.0"' in temperature
    assert 'min="1"' in max_tokens
    assert 'max="8192"' in max_tokens
    assert 'step="1"' in max_tokens


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{title!x} {story_so_far}", "cannot be filled in"),
        ("{title:d} {story_so_far}", "cannot be filled in"),
        ("{title} {villain}", "Unknown placeholders {villain}"),
        ("{title", "Invalid template"),
    ],
)
def test_form_rejects_bad_template(admin_client, template, message):
    writer = Agent.objects.get(pk="writer")
    before = writer.prompt_template

    response = admin_client.post(CHANGE_URL.format("writer"), change_form(writer, prompt_template=template))

    assert response.status_code == 200
    assert message in response.content.decode()
    writer.refresh_from_db()
    assert writer.prompt_template == before
    assert AgentConfigurationChange.objects.count() == 0


@pytest.mark.parametrize(
    ("stop", "message"),
    [
        ('["a", ""]', "non-empty strings"),
        ('"\\n"', "JSON list"),
        ("[" + ", ".join(f'"s{index}"' for index in range(MAX_STOP_STRINGS + 1)) + "]", "keep at most"),
        ('["' + "క" * (MAX_STOP_STRING_LENGTH + 1) + '"]', f"use at most {MAX_STOP_STRING_LENGTH}"),
        ('["\\n", "\\n"]', "Stop strings repeat"),
    ],
)
def test_form_rejects_bad_stop_strings(admin_client, stop, message):
    writer = Agent.objects.get(pk="writer")

    response = admin_client.post(CHANGE_URL.format("writer"), change_form(writer, stop=stop))

    assert response.status_code == 200
    assert message in response.content.decode()
    writer.refresh_from_db()
    assert writer.stop == []
    assert AgentConfigurationChange.objects.count() == 0


def test_form_stores_stop_strings_in_nfc(admin_client):
    writer = Agent.objects.get(pk="writer")
    decomposed = "\u0c15\u0c46\u0c56"  # క + vowel sign E + AI length mark, NFC is కై

    response = admin_client.post(CHANGE_URL.format("writer"), change_form(writer, stop=f'["{decomposed}", "\\n\\n"]'))

    assert response.status_code == 302
    writer.refresh_from_db()
    assert writer.stop == ["\u0c15\u0c48", "\n\n"]
    assert AgentConfigurationChange.objects.get().new_values == {"stop": ["\u0c15\u0c48", "\n\n"]}


# Recent runs and changes on the agent's page


def test_change_page_shows_latest_runs_only(admin_client, owner):
    story = make_story(owner)
    runs = record_runs(story, "writer", [(AgentRunOutcome.SUCCEEDED, 1.0 + index) for index in range(RECENT_RUNS_SHOWN + 2)])

    page = admin_client.get(CHANGE_URL.format("writer")).content.decode()

    linked_run_ids = re.findall(r'href="/admin/agents/agentrun/(\d+)/change/"', page)
    assert len(linked_run_ids) == RECENT_RUNS_SHOWN
    assert int(linked_run_ids[0]) == runs[-1].pk
    assert str(runs[0].pk) not in linked_run_ids
    assert f"All {RECENT_RUNS_SHOWN + 2} runs of this agent" in page
    assert "/admin/agents/agentrun/?agent__id__exact=writer" in page


def test_change_page_shows_agent_figures(admin_client, owner):
    story = make_story(owner)
    record_runs(story, "writer", [(AgentRunOutcome.SUCCEEDED, 2.0), (AgentRunOutcome.FELL_BACK, 2.0)])

    page = admin_client.get(CHANGE_URL.format("writer")).content.decode()

    assert "2 (1 succeeded, 1 fell back, 0 failed)" in page
    assert "100%" in page


def test_change_page_links_filtered_audit_log(admin_client, staff):
    configure_agent("writer", agent_values={"top_k": 30}, settings_values={}, actor=staff, source="api")
    configure_agent("planner", agent_values={"top_k": 20}, settings_values={}, actor=staff, source="api")

    page = admin_client.get(CHANGE_URL.format("writer")).content.decode()
    log = admin_client.get("/admin/agents/agentconfigurationchange/", {"agent__id__exact": "writer"}).content.decode()

    assert "top_k: 40 -&gt; 30" in page
    assert "top_k: 40 -&gt; 20" not in page
    assert "All 1 configuration changes of this agent" in page
    assert "/admin/agents/agentconfigurationchange/?agent__id__exact=writer" in page
    assert "1 agent configuration change" in log


def test_run_page_is_read_only(admin_client, owner):
    story = make_story(owner)
    (run,) = record_runs(story, "writer", [(AgentRunOutcome.SUCCEEDED, 2.0)])

    page = admin_client.get(RUN_URL.format(run.pk))
    posted = admin_client.post(RUN_URL.format(run.pk), {"seconds": "9"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    run.refresh_from_db()
    assert run.seconds == 2.0


def test_form_keeps_template_when_browser_sends_crlf(admin_client):
    writer = Agent.objects.get(pk="writer")
    assert "\n" in writer.prompt_template
    as_browser_sends = writer.prompt_template.replace("\n", "\r\n")

    response = admin_client.post(CHANGE_URL.format("writer"), change_form(writer, prompt_template=as_browser_sends))

    assert response.status_code == 302
    assert Agent.objects.get(pk="writer").prompt_template == writer.prompt_template
    assert AgentConfigurationChange.objects.count() == 0
