"""The reading view: text, quality parts, emotional arc, versions, diff, exports, publish, refine and delete."""

from __future__ import annotations

import re

import pytest

from stories import events
from stories.models import Story, StoryStatus
from tests.stories.support import CONTENT, EMOTIONAL_ARC, make_story, make_version

pytestmark = pytest.mark.django_db

QUALITY_COMPONENTS = {"telugu_script": 0.98, "distinct_2": 0.9, "length_fit": 0.5, "fluency": 0.41, "emotion_match": 0.3}
ELEMENTS = [{"id": "godavari", "name": "Godavari", "name_te": "గోదావరి", "category": "place", "mentions": 2}]
EMOTIONS = [{"emotion": "karuna", "score": 0.6}, {"emotion": "adbhuta", "score": 0.3}, {"emotion": "hasya", "score": 0}]


def _scored_story(owner, **fields):
    return make_story(
        owner,
        metadata={"quality_components": QUALITY_COMPONENTS, "emotional_arc": EMOTIONAL_ARC},
        cultural_elements=ELEMENTS,
        emotions=EMOTIONS,
        quality_score=0.66,
        **fields,
    )


def test_reading_view_shows_text_and_measured_parts(owner, owner_browser):
    story = _scored_story(owner)

    html = owner_browser.get(f"/stories/{story.pk}").content.decode()

    assert "<p>ఒక ఊరిలో సీత అనే అమ్మాయి ఉండేది. ఆమె రోజూ గోదావరి ఒడ్డుకు వెళ్ళేది.</p>" in html
    assert '<span class="score__value">66%</span>' in html
    # Every part with its explanation and its renormalized weight (all five present: the raw weights).
    for label, weight in [("తెలుగు లిపి", 25), ("వైవిధ్యం", 20), ("పొడవు", 20), ("ధారాళత", 20), ("రసాల పొంతన", 15)]:
        assert f"{label} <span class=\"muted\">(భారం {weight}%)</span>" in html
    assert "ఒక్కసారే వచ్చే పదజంటల వాటా" in html
    assert '<span lang="te">గోదావరి</span> <span class="muted" lang="en">(Godavari)</span> · ప్రదేశం' in html
    assert "కరుణ" in html
    assert "60%" in html
    assert "హాస్యం" not in html.split('class="rasa-scores"')[1].split("</ul>")[0]


def test_reading_view_draws_arc_as_svg(owner, owner_browser):
    story = _scored_story(owner)

    html = owner_browser.get(f"/stories/{story.pk}").content.decode()

    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg
    points = re.findall(r'<circle class="arc-chart__point[^"]*" cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert len(points) == len(EMOTIONAL_ARC)
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    assert xs == sorted(xs)
    # Intensities 0.2, 0.6, 0.6: the later points sit higher (smaller y) and level with each other.
    assert ys[0] > ys[1] == ys[2]
    assert "శాంతం" in svg
    assert "అద్భుతం" in svg


def test_other_writers_private_story_is_404(owner, other_browser):
    story = make_story(owner)

    for path in ["", "/compare?before=1&after=2", "/export.txt", "/export.md", "/delete"]:
        response = other_browser.get(f"/stories/{story.pk}{path}")
        assert response.status_code == 404, path
    assert other_browser.post(f"/stories/{story.pk}/publish", {"is_public": "on"}).status_code == 404
    assert other_browser.post(f"/stories/{story.pk}/delete").status_code == 404
    story.refresh_from_db()
    assert story.is_public is False


def test_public_story_is_read_only_for_other_writer(owner, other_browser):
    story = make_story(owner, is_public=True)

    html = other_browser.get(f"/stories/{story.pk}").content.decode()

    assert "lakshmi రాసి అందరికీ తెరిచిన కథ" in html
    assert f'action="/stories/{story.pk}/refine"' not in html
    assert f'href="/stories/{story.pk}/delete"' not in html
    assert other_browser.get(f"/stories/{story.pk}/export.txt").status_code == 200
    assert other_browser.post(f"/stories/{story.pk}/publish").status_code == 403
    assert other_browser.post(f"/stories/{story.pk}/delete").status_code == 403
    assert Story.objects.filter(pk=story.pk, is_public=True).exists()


def test_export_plain_text(owner, owner_browser):
    story = make_story(owner)

    response = owner_browser.get(f"/stories/{story.pk}/export.txt")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E0%B0%B8%E0%B1%80%E0%B0%A4-%E0%B0%AA%E0%B0%A1%E0%B0%B5.txt"
    assert response.content.decode() == "సీత పడవ\n\n" + CONTENT + "\n"


def test_export_markdown_escapes_syntax(owner, owner_browser):
    story = make_story(owner, title="కథ #1", content="* నక్షత్రం కాదు\n\n1. జాబితా కాదు [లింక్](x)")

    response = owner_browser.get(f"/stories/{story.pk}/export.md")

    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.content.decode() == "# కథ \\#1\n\n\\* నక్షత్రం కాదు\n\n1\\. జాబితా కాదు \\[లింక్\\](x)\n"


def test_compare_shows_word_diff(owner, owner_browser):
    story = make_story(owner)
    make_version(story, 1, content="సీత నది ఒడ్డుకు వెళ్ళింది.")
    make_version(story, 2, content="సీత పొద్దున్నే నది ఒడ్డుకు పరుగెత్తింది.")

    html = owner_browser.get(f"/stories/{story.pk}/compare", {"before": "1", "after": "2"}).content.decode()

    diff = html[html.index('<div class="diff story__text"') :]
    assert "<span>సీత</span><ins> పొద్దున్నే</ins><span> నది ఒడ్డుకు </span>" in diff
    assert "<del>వెళ్ళింది.</del><ins>పరుగెత్తింది.</ins>" in diff
    assert "2 పదాలు చేరాయి" in html
    assert "1 పదం తొలగింది" in html


def test_compare_rejects_same_or_missing_version(owner, owner_browser):
    story = make_story(owner)
    make_version(story, 1)
    make_version(story, 2)

    same = owner_browser.get(f"/stories/{story.pk}/compare", {"before": "2", "after": "2"})
    missing = owner_browser.get(f"/stories/{story.pk}/compare", {"before": "1", "after": "9"})

    assert same.status_code == 400
    assert "రెండు వేర్వేరు కూర్పులను ఎంచుకోండి." in same.content.decode()
    assert missing.status_code == 404
    assert "ఈ కథకు అలాంటి కూర్పు లేదు." in missing.content.decode()


def test_publish_toggle(owner, owner_browser):
    story = make_story(owner)

    published = owner_browser.post(f"/stories/{story.pk}/publish", {"is_public": "on"}, follow=True)

    story.refresh_from_db()
    assert story.is_public is True
    assert "ప్రవేశించిన ప్రతి రచయితా దీన్ని చదవగలరు" in published.content.decode()

    owner_browser.post(f"/stories/{story.pk}/publish")
    story.refresh_from_db()
    assert story.is_public is False


def test_delete_asks_then_deletes(owner, owner_browser):
    story = make_story(owner)

    confirm = owner_browser.get(f"/stories/{story.pk}/delete")
    assert "కథను తొలగించాలా?" in confirm.content.decode()
    assert Story.objects.filter(pk=story.pk).exists()

    response = owner_browser.post(f"/stories/{story.pk}/delete", follow=True)

    assert not Story.objects.filter(pk=story.pk).exists()
    assert "“సీత పడవ” కథను తొలగించాం." in response.content.decode()


def test_refine_form_errors_are_translated(owner, owner_browser):
    story = make_story(owner)

    response = owner_browser.post(f"/stories/{story.pk}/refine", {"type": "rewrite", "improvements": "  \n "})

    assert response.status_code == 400
    html = response.content.decode()
    assert "సరైనదాన్ని ఎంచుకోండి. rewrite అందుబాటులో ఉన్న ఎంపికల్లో లేదు." in html
    assert "ఇది తప్పనిసరిగా నింపాలి." in html
    story.refresh_from_db()
    assert story.status == StoryStatus.COMPLETED
    assert story.pending_refinement == {}


def test_refine_form_keeps_text_when_too_many_lines(owner, owner_browser):
    story = make_story(owner)
    lines = "\n".join(f"మార్పు {number}" for number in range(21))

    response = owner_browser.post(f"/stories/{story.pk}/refine", {"type": "plot_improvement", "improvements": lines})

    assert response.status_code == 400
    html = response.content.decode()
    assert "గరిష్ఠంగా 20 లైన్లు రాయండి." in html
    assert "మార్పు 20" in html
    story.refresh_from_db()
    assert story.pending_refinement == {}


def test_refine_of_unfinished_story_is_refused(owner, owner_browser):
    story = make_story(owner, status=StoryStatus.RUNNING)

    response = owner_browser.post(
        f"/stories/{story.pk}/refine", {"type": "plot_improvement", "improvements": "ముగింపు మార్చండి"}, follow=True
    )

    assert "ఈ కథ ఇంకా రచనలో లేదా మెరుగుదలలో ఉంది" in response.content.decode()
    story.refresh_from_db()
    assert story.pending_refinement == {}


def test_unfinished_story_shows_live_view_to_owner(owner, other, owner_browser, other_browser):
    story = make_story(owner, status=StoryStatus.RUNNING, content="మొదటి వాక్యం.", is_public=True)

    html = owner_browser.get(f"/stories/{story.pk}").content.decode()

    assert f'data-events-url="/api/v2/stories/{story.pk}/events"' in html
    assert f'data-cancel-url="/api/v2/stories/{story.pk}/cancel"' in html
    assert '<script src="/static/js/story-live.js" defer></script>' in html
    assert 'id="live-messages"' in html
    for label in ["ప్రణాళికకర్త", "సాంస్కృతిక మార్గదర్శి", "రచయిత", "రస విశ్లేషకుడు", "సంపాదకుడు"]:
        assert label in html
    assert 'name="csrfmiddlewaretoken"' in html

    reader = other_browser.get(f"/stories/{story.pk}").content.decode()
    assert "story-live.js" not in reader
    assert "ఈ కథ ఇంకా రచనలో ఉంది" in reader


def stage_classes(html: str) -> dict[str, str]:
    """Map each stage of the live view to the state its class shows."""
    return {role: state for state, role in re.findall(r'<li class="stage stage--(\w+)" data-stage="(\w+)"', html)}


def test_live_view_shows_stages_already_reached(owner, owner_browser):
    story = make_story(owner, status=StoryStatus.RUNNING, content="మొదటి వాక్యం.")
    for event_type, role in [
        (events.STAGE_STARTED, "planner"),
        (events.STAGE_FINISHED, "planner"),
        (events.STAGE_STARTED, "cultural"),
        (events.STAGE_FINISHED, "cultural"),
        (events.STAGE_STARTED, "writer"),
    ]:
        events.publish(story.pk, event_type, {"role": role})

    html = owner_browser.get(f"/stories/{story.pk}").content.decode()

    assert stage_classes(html) == {
        "planner": "done",
        "cultural": "done",
        "writer": "running",
        "emotion": "waiting",
        "editor": "waiting",
    }
    assert 'data-stage="writer" aria-current="step"' in html


def test_live_view_of_refinement_ignores_earlier_job(owner, owner_browser):
    story = make_story(owner)
    for event_type, role in [(events.STAGE_STARTED, "emotion"), (events.STAGE_FINISHED, "emotion")]:
        events.publish(story.pk, event_type, {"role": role})
    events.publish(story.pk, events.COMPLETED, {"content": story.content})
    Story.objects.filter(pk=story.pk).update(
        status=StoryStatus.RUNNING, pending_refinement={"refinement_type": "plot_improvement"}
    )
    events.publish(story.pk, events.STAGE_STARTED, {"role": "refiner"})

    html = owner_browser.get(f"/stories/{story.pk}").content.decode()

    assert stage_classes(html) == {"refiner": "running", "emotion": "waiting", "editor": "waiting"}


def test_refine_queues_new_version_and_shows_its_progress(owner, owner_browser):
    story = make_story(owner)

    response = owner_browser.post(
        f"/stories/{story.pk}/refine",
        {"type": "emotion_enhancement", "improvements": "ముగింపు ఆశాజనకంగా ఉండాలి\n\nసీత ధైర్యం చూపాలి", "preserve_elements": "సీత"},
    )

    assert response["Location"] == f"/stories/{story.pk}"
    story.refresh_from_db()
    assert story.status == StoryStatus.QUEUED
    assert story.pending_refinement["refinement_type"] == "emotion_enhancement"
    assert story.pending_refinement["improvements"] == ["ముగింపు ఆశాజనకంగా ఉండాలి", "సీత ధైర్యం చూపాలి"]
    assert story.pending_refinement["preserve_elements"] == ["సీత"]
    html = owner_browser.get(f"/stories/{story.pk}").content.decode()
    assert "కథకు మెరుగులు దిద్దుతున్నాం" in html
    assert 'data-stage="refiner"' in html
    assert 'data-stage="planner"' not in html


def test_cancel_form_stops_running_story(owner, owner_browser, other_browser):
    story = make_story(owner, status=StoryStatus.RUNNING)

    assert other_browser.post(f"/stories/{story.pk}/cancel").status_code == 404
    response = owner_browser.post(f"/stories/{story.pk}/cancel", follow=True)

    story.refresh_from_db()
    assert story.status == StoryStatus.CANCELLED
    assert "ఈ కథ పూర్తికాకముందే ఆపివేయబడింది." in response.content.decode()
