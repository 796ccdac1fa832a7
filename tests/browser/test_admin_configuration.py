"""The agent configuration form of the admin, used in a real browser."""

from __future__ import annotations

import pytest

from agents.models import Agent, AgentConfigurationChange, ConfigurationSource
from tests.browser.support import new_writer, sign_in_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_changes_writer_sampling(browser, live_url, screenshot):
    admin_user = new_writer(is_staff=True, is_superuser=True)
    page = browser.new_page()
    sign_in_admin(page, live_url, admin_user, "/admin/agents/agent/")

    assert page.locator('[data-agent="writer"][data-figure="status"]').inner_text() == "idle"
    assert page.locator("#agent-summary").is_visible()

    page.locator('a[href="/admin/agents/agent/writer/change/"]').first.click()
    page.wait_for_url("**/admin/agents/agent/writer/change/")
    screenshot(page, "admin-agent.png")
    # The admin form is novalidate, so the server checks the range. The input's max
    # attribute lets the browser mark the value as out of range as well.
    temperature = page.locator('input[name="temperature"]')
    temperature.fill("2.5")
    assert temperature.evaluate("input => input.validity.rangeOverflow") is True
    page.locator('input[name="_save"]').click()
    page.locator(".field-temperature .errorlist").wait_for()
    assert Agent.objects.get(pk="writer").temperature == 0.8
    assert AgentConfigurationChange.objects.count() == 0

    temperature = page.locator('input[name="temperature"]')

    temperature.fill("0.55")
    page.locator('textarea[name="stop"]').fill('["\\n\\n", "కథ ముగిసింది"]')
    page.locator('input[name="_save"]').click()
    page.wait_for_url("**/admin/agents/agent/")

    writer = Agent.objects.get(pk="writer")
    assert writer.temperature == 0.55
    assert writer.stop == ["\n\n", "కథ ముగిసింది"]
    change = AgentConfigurationChange.objects.get()
    assert change.source == ConfigurationSource.ADMIN
    assert change.changed_by_email == admin_user.email
    assert change.new_values == {"temperature": 0.55, "stop": ["\n\n", "కథ ముగిసింది"]}


def test_admin_form_shows_template_error(browser, live_url):
    admin_user = new_writer(is_staff=True, is_superuser=True)
    page = browser.new_page()
    sign_in_admin(page, live_url, admin_user, "/admin/agents/agent/writer/change/")
    before = Agent.objects.get(pk="writer").prompt_template

    page.locator('textarea[name="prompt_template"]').fill("{title} {villain}")
    page.locator('input[name="_save"]').click()

    # The form comes back from the server with the error; wait for that page.
    error = page.locator(".errorlist").first
    error.wait_for()
    assert "{villain}" in error.inner_text()
    assert Agent.objects.get(pk="writer").prompt_template == before
    assert AgentConfigurationChange.objects.count() == 0
