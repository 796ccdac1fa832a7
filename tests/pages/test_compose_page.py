"""The compose page: its form, the shared rate limit, the 503 of a missing model, and a real story."""

from __future__ import annotations

import pytest
from rest_framework.throttling import SimpleRateThrottle

from storyengine.jobs import wait_for_embedded_jobs
from stories.models import Story, StoryStatus
from tests.stories.support import PROMPT

pytestmark = pytest.mark.django_db(transaction=True)

VALID = {
    "prompt": PROMPT,
    "story_type": "folk_tale",
    "cultural_context": "rural",
    "emotion_focus": ["karuna", "adbhuta"],
    "length": "100",
}


@pytest.fixture(autouse=True)
def drain_jobs():
    yield
    wait_for_embedded_jobs(timeout=600)


@pytest.fixture
def rate_of_one(monkeypatch):
    # DRF copies DEFAULT_THROTTLE_RATES onto the class at import; the class attribute is what throttles read.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"generation": "1/min"})


def test_compose_form_starts_from_preferences(owner, owner_browser):
    owner.preferences = {
        **owner.get_preferences(),
        "preferred_story_types": ["poem"],
        "cultural_contexts": ["festival"],
        "emotion_preferences": ["hasya"],
    }
    owner.save(update_fields=["preferences"])

    html = owner_browser.get("/stories/new").content.decode()

    assert '<option value="poem" selected>కవిత</option>' in html
    assert '<option value="festival" selected>పండుగ</option>' in html
    assert 'value="hasya" id="id_emotion_focus_1" checked' in html
    for rasa in ["శృంగారం", "హాస్యం", "కరుణ", "రౌద్రం", "వీరం", "భయానకం", "బీభత్సం", "అద్భుతం", "శాంతం"]:
        assert rasa in html
    # The transliteration hook: the toggle and the script, since static/js/transliterate.js exists.
    assert 'id="transliterate-toggle"' in html
    assert 'data-transliterate-toggle="transliterate-toggle"' in html
    assert '<script src="/static/js/transliterate.js" defer></script>' in html


def test_compose_rejects_bad_input_in_telugu(owner_browser):
    response = owner_browser.post(
        "/stories/new", {"prompt": "   చిన్న   ", "story_type": "epic", "emotion_focus": ["rage"], "length": "50"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "కనీసం 10 అక్షరాలు ఉండాలి (ఇప్పుడు 5 ఉన్నాయి)." in html
    assert "సరైనదాన్ని ఎంచుకోండి. epic అందుబాటులో ఉన్న ఎంపికల్లో లేదు." in html
    assert "సరైనదాన్ని ఎంచుకోండి. rage అందుబాటులో ఉన్న ఎంపికల్లో లేదు." in html
    assert "ఈ విలువ 100 లేదా అంతకంటే ఎక్కువ ఉండాలి." in html
    assert "ఇది తప్పనిసరిగా నింపాలి." in html
    assert Story.objects.count() == 0


def test_compose_writes_story_with_real_model(owner, owner_browser):
    response = owner_browser.post("/stories/new", VALID)

    assert response.status_code == 302
    story = Story.objects.get(owner=owner)
    assert response["Location"] == f"/stories/{story.pk}"
    assert story.prompt == PROMPT
    assert story.story_type == "folk_tale"
    assert story.cultural_context == "rural"
    assert story.emotion_focus == ["karuna", "adbhuta"]
    assert story.target_length == 100

    wait_for_embedded_jobs(timeout=600)
    story.refresh_from_db()
    assert story.status == StoryStatus.COMPLETED, story.error
    html = owner_browser.get(f"/stories/{story.pk}").content.decode()
    assert story.title in html
    assert '<span class="score__value">' in html
    assert "ఏజెంట్లు ఎలా పని చేశాయి" in html
    assert "<svg" in html


def test_compose_missing_model_is_503(owner_browser, settings, tmp_path):
    settings.STORYENGINE_MODEL_PATH = str(tmp_path / "missing.gguf")

    response = owner_browser.post("/stories/new", VALID)

    assert response.status_code == 503
    assert "కథలు రాసే నమూనా ప్రస్తుతం అందుబాటులో లేదు, అందుకే కథ మొదలవలేదు." in response.content.decode()
    assert Story.objects.count() == 0


def test_compose_shares_the_api_rate_limit(owner, owner_browser, rate_of_one):
    # An invalid API request still spends the writer's one request of the minute.
    assert owner_browser.post("/api/v2/stories/generate", {"prompt": "చిన్న"}, content_type="application/json").status_code == 400

    response = owner_browser.post("/stories/new", VALID)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "తక్కువ సమయంలో చాలా కథలు అడిగారు." in response.content.decode()
    assert Story.objects.count() == 0
