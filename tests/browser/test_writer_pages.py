"""A writer's way through the pages in a real browser: sign up, compose, watch, read, refine, search, switch language.

Generation uses the real model with the test settings' token cap and the smallest
length the form accepts (100 words), so a story takes seconds to a few minutes.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth import get_user_model

from stories.models import Story, StoryStatus, StoryVersion
from tests.browser.support import new_writer, sign_in
from tests.stories.support import make_story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORY_URL = re.compile(r".*/stories/[0-9a-f-]{36}$")
# A story of 100 words on two shared cores; the cap keeps each model call short.
GENERATION_TIMEOUT_MS = 300_000


def open_story_when_finished(page) -> None:
    """Wait until the live page has reloaded into the reading page of the finished story."""
    page.wait_for_selector("article.story:not(.story--live)", timeout=GENERATION_TIMEOUT_MS)


def test_signup_lands_on_compose(browser, live_url):
    suffix = uuid.uuid4().hex[:8]
    page = browser.new_page()
    page.goto(f"{live_url}/accounts/signup")

    page.locator('input[name="email"]').fill(f"sita-{suffix}@example.com")
    page.locator('input[name="username"]').fill("సీత")
    page.locator('input[name="password"]').fill("godavari-odduna-42")
    page.locator('main form button[type="submit"]').click()

    page.wait_for_url(f"{live_url}/stories/new")
    user = get_user_model().objects.get(email=f"sita-{suffix}@example.com")
    assert user.username == "సీత"
    assert user.check_password("godavari-odduna-42")
    assert page.locator('form[action="/accounts/logout"]').count() == 1


def test_compose_transliterates_and_streams_story(browser, live_url, screenshot):
    writer = new_writer()
    page = browser.new_page()
    sign_in(page, live_url, writer, "/stories/new")
    screenshot(page, "compose.png")

    # The toggle works from the keyboard: focus it and press Enter.
    toggle = page.locator("#transliterate-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-pressed") == "true"
    prompt = page.locator('textarea[name="prompt"]')
    assert prompt.get_attribute("autocapitalize") == "off"
    prompt.click()
    prompt.press_sequentially("gOdaavari oDDuna oka chinna graamam, amma katha ")
    page.wait_for_function(
        "expected => document.querySelector('textarea[name=prompt]').value === expected",
        arg="గోదావరి ఒడ్డున ఒక చిన్న గ్రామం, అమ్మ కథ ",
    )

    page.locator('input[name="length"]').fill("100")
    page.locator('form.compose-form button[type="submit"]').click()
    page.wait_for_url(STORY_URL)
    story_id = page.url.rsplit("/", 1)[1]

    # Live progress: some stage finishes and text arrives before the page turns into the reading page.
    page.wait_for_selector(".stage--done", timeout=GENERATION_TIMEOUT_MS)
    open_story_when_finished(page)

    story = Story.objects.get(pk=story_id)
    assert story.owner_id == writer.pk
    assert story.prompt == "గోదావరి ఒడ్డున ఒక చిన్న గ్రామం, అమ్మ కథ"
    assert story.status == StoryStatus.COMPLETED
    page_text = page.locator(".story__text").inner_text()
    first_paragraph = story.content.split("\n\n")[0].strip()
    assert first_paragraph[:40] in page_text


def test_library_search_in_telugu(browser, phone_browser, live_url, screenshot):
    writer = new_writer()
    make_story(writer, minutes=0, title="గోదావరి పడవ", content="గోదావరి ఒడ్డున సీత ఒక పడవ చూసింది.")
    make_story(writer, minutes=1, title="కృష్ణా తీరం", content="కృష్ణా నది దగ్గర రాము పాటలు పాడేవాడు.")
    make_story(writer, minutes=2, title="పండుగ రోజు", content="సంక్రాంతి రోజున అమ్మ అరిసెలు చేసింది.")
    make_story(new_writer(), title="గోదావరి రాత్రి", content="ఇది మరొకరి గోదావరి కథ.")
    page = browser.new_page()
    sign_in(page, live_url, writer)

    assert page.locator("article.story-card").count() == 3
    screenshot(page, "library.png")

    page.locator('input[name="search"]').fill("గోదావరి")
    page.locator('input[name="search"]').press("Enter")
    page.wait_for_url(re.compile(r".*search=.*"))

    titles = page.locator(".story-card__title").all_inner_texts()
    assert [title.strip() for title in titles] == ["గోదావరి పడవ"]

    phone = phone_browser.new_page()
    sign_in(phone, live_url, writer)
    screenshot(phone, "library-phone.png")
    assert phone.locator("article.story-card").count() == 3


def test_reading_and_refining_story(browser, phone_browser, live_url, screenshot):
    writer = new_writer()
    story = make_story(
        writer,
        title="సీత పడవ",
        content="ఒక ఊరిలో సీత అనే అమ్మాయి ఉండేది.\n\nఆమె రోజూ గోదావరి ఒడ్డుకు వెళ్ళేది.",
    )
    StoryVersion.objects.create(
        story=story, number=1, title=story.title, content=story.content, quality_score=0.5, word_count=story.word_count
    )
    page = browser.new_page()
    sign_in(page, live_url, writer, f"/stories/{story.pk}")

    assert page.locator("#story-title").inner_text().strip() == "సీత పడవ"
    paragraphs = page.locator(".story__text p").all_inner_texts()
    assert paragraphs == ["ఒక ఊరిలో సీత అనే అమ్మాయి ఉండేది.", "ఆమె రోజూ గోదావరి ఒడ్డుకు వెళ్ళేది."]
    screenshot(page, "reading.png")
    phone = phone_browser.new_page()
    sign_in(phone, live_url, writer, f"/stories/{story.pk}")
    screenshot(phone, "reading-phone.png")

    page.locator('#refine input[name="type"][value="emotion_enhancement"]').check()
    page.locator('#refine textarea[name="improvements"]').fill("ముగింపు ఆశగా ఉండాలి")
    page.locator('#refine textarea[name="preserve_elements"]').fill("సీత")
    page.locator('#refine button[type="submit"]').click()
    open_story_when_finished(page)

    story.refresh_from_db()
    assert story.status == StoryStatus.COMPLETED
    assert story.version == 2
    assert "సీత" in story.content
    assert list(StoryVersion.objects.filter(story=story).order_by("number").values_list("number", flat=True)) == [1, 2]
    assert StoryVersion.objects.get(story=story, number=1).content.startswith("ఒక ఊరిలో సీత")


def test_language_switch_changes_page_language(browser, live_url):
    writer = new_writer()
    page = browser.new_page()
    sign_in(page, live_url, writer)
    assert page.locator("html").get_attribute("lang") == "te"
    telugu_heading = page.locator("main h1").first.inner_text()

    page.locator('.language-switch button[value="en"]').click()
    page.wait_for_function("document.documentElement.lang === 'en'")

    assert page.url == f"{live_url}/stories"
    assert page.locator('.language-switch button[value="en"]').get_attribute("aria-pressed") == "true"
    assert page.locator("main h1").first.inner_text() != telugu_heading

    page.reload()
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator('.language-switch button[value="te"]').click()
    page.wait_for_function("document.documentElement.lang === 'te'")
    assert page.locator("main h1").first.inner_text() == telugu_heading
