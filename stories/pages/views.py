"""The writer's story pages: compose, watch live, library, read, compare versions, refine, publish, export, delete.

Every view calls the story services directly, never the API over HTTP, and
return 404 for another writer's private story, as if it did not exist.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import asdict
from urllib.parse import urlencode
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analysis.text import paragraphs
from storyengine.api.errors import Conflict, ServiceUnavailable
from storyengine.vocabulary import CulturalContext, Rasa, StoryType
from stories import events, refinement, services
from stories.analytics import story_analytics
from stories.api.throttles import GenerationRateThrottle
from stories.models import Story, StoryStatus
from stories.pages import exports
from stories.pages.charts import arc_chart
from stories.pages.diffs import word_diff
from stories.pages.forms import (
    REFINEMENT_HELP,
    REFINEMENT_LABELS,
    ComposeForm,
    DiffForm,
    LibraryQueryForm,
    PublishForm,
    RefineForm,
)
from stories.pages.reading import (
    GENERATION_STAGES,
    REFINEMENT_STAGES,
    agent_steps,
    cultural_elements,
    quality_parts,
    rasa_scores,
    stage_labels,
)

logger = logging.getLogger(__name__)

VERSIONS_SHOWN = 100
TRANSLITERATION_SCRIPT = "js/transliterate.js"


@lru_cache(maxsize=1)
def transliteration_available() -> bool:
    """Return whether the transliteration script is among the static files; checked once per process."""
    return bool(finders.find(TRANSLITERATION_SCRIPT))


def _throttle_wait(request: HttpRequest) -> int | None:
    """Count a generation request against the writer's shared limit; return the seconds to wait when over it.

    The same GenerationRateThrottle as the API's generate and refine endpoints,
    so the pages and the API draw on one limit per writer.
    """
    throttle = GenerationRateThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def _readable_story(request: HttpRequest, story_id: uuid.UUID) -> Story:
    try:
        return services.get_story_for_reader(request.user, story_id)
    except (services.StoryNotFound, services.StoryForbidden):
        raise Http404("No such story.") from None


def _owned_story(request: HttpRequest, story_id: uuid.UUID) -> Story:
    try:
        return services.get_story_for_change(request.user, story_id)
    except services.StoryNotFound:
        raise Http404("No such story.") from None
    except services.StoryForbidden:
        raise PermissionDenied("Only the owner may change this story.") from None


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("library")
    return render(request, "home.html")


def _compose_initial(request: HttpRequest) -> dict[str, object]:
    """Start the form from the writer's preferences: their first liked type, setting and rasas."""
    preferences = request.user.get_preferences()
    initial: dict[str, object] = {}
    if preferences["preferred_story_types"]:
        initial["story_type"] = preferences["preferred_story_types"][0]
    if preferences["cultural_contexts"]:
        initial["cultural_context"] = preferences["cultural_contexts"][0]
    if preferences["emotion_preferences"]:
        initial["emotion_focus"] = preferences["emotion_preferences"]
    return initial


def _render_compose(request: HttpRequest, form: ComposeForm, status: int) -> HttpResponse:
    context = {"form": form, "transliteration": transliteration_available()}
    return render(request, "stories/compose.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    form = ComposeForm(request.POST or None, initial=_compose_initial(request))
    if request.method == "GET":
        return _render_compose(request, form, 200)
    if not form.is_valid():
        return _render_compose(request, form, 400)

    wait = _throttle_wait(request)
    if wait is not None:
        logger.info("Story request of user %s over the generation limit; retry in %d s", request.user.pk, wait)
        form.add_error(
            None,
            _("You have asked for many stories in a short time. Try again in %(seconds)s seconds.") % {"seconds": wait},
        )
        response = _render_compose(request, form, 429)
        response["Retry-After"] = str(wait)
        return response

    try:
        story = services.start_generation(request.user, form.params())
    except ServiceUnavailable:
        # start_generation has logged the reason.
        form.add_error(
            None,
            _("The story model is not available right now, so no story was started. Try again in a minute."),
        )
        return _render_compose(request, form, 503)
    return redirect("story", story_id=story.pk)


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    form = LibraryQueryForm(request.GET)
    query = form.query()
    page = services.list_stories(request.user, query)
    filtered = bool(query.search or query.story_type or query.cultural_context)
    filters = {"search": query.search, "story_type": query.story_type or "", "cultural_context": query.cultural_context or ""}
    filters["sort_by"] = query.sort_by
    context = {
        "form": form,
        "page": page,
        "items": [_card(item) for item in page.items],
        "query": query,
        "filtered": filtered,
        "page_query": urlencode({key: value for key, value in filters.items() if value}) + "&",
        "previous_page": query.page - 1 if query.page > 1 else None,
        "next_page": query.page + 1 if query.page < page.total_pages else None,
        "status_labels": _status_labels(),
    }
    return render(request, "stories/library.html", context)


def _card(item: services.StoryListItem) -> dict[str, object]:
    """Return a library card: the list item's fields with translated labels and the score as a percentage."""
    return {
        **asdict(item),
        "story_type_label": dict(StoryType.choices).get(item.story_type, item.story_type),
        "status_label": _status_labels().get(item.status, item.status),
        "quality_percent": round(item.quality_score * 100) if item.quality_score is not None else None,
    }


def _status_labels() -> dict[str, str]:
    return {
        StoryStatus.QUEUED: _("Waiting to start"),
        StoryStatus.RUNNING: _("Being written"),
        StoryStatus.COMPLETED: _("Finished"),
        StoryStatus.FAILED: _("Failed"),
        StoryStatus.CANCELLED: _("Cancelled"),
    }


def _live_messages() -> dict[str, object]:
    """Return the translated messages that static/js/story-live.js shows."""
    return {
        # Placeholders in braces are filled in by the script.
        "running": _("%(stage)s is at work…") % {"stage": "{stage}"},
        "stage_running": _("working"),
        "stage_done": _("done"),
        "completed": _("The story is finished. Opening it…"),
        "failed": _("The agents could not finish the story. Opening what was written…"),
        "cancelled": _("Writing stopped. Opening what was written…"),
        "already_finished": _("The story had already finished. Opening it…"),
        "cancelling": _("Stopping the agents…"),
        "cancel_failed": _("The story could not be stopped. Try again."),
        "reconnecting": _("The connection dropped; reconnecting…"),
        "connection_lost": _("The connection is lost. Reload the page to see how far the story has come."),
        "words": _("%(count)s words") % {"count": "{count}"},
        "quality": _("quality %(percent)s%%") % {"percent": "{percent}"},
        "rasas": {value: str(label) for value, label in Rasa.choices},
    }


def _story_labels(story: Story) -> dict[str, object]:
    return {
        "story_type": dict(StoryType.choices).get(story.story_type, story.story_type),
        "cultural_context": dict(CulturalContext.choices).get(story.cultural_context, story.cultural_context),
        "emotion_focus": [dict(Rasa.choices).get(name, name) for name in story.emotion_focus or []],
        "status": _status_labels().get(story.status, story.status),
    }


@login_required
@require_GET
def story(request: HttpRequest, story_id: uuid.UUID) -> HttpResponse:
    story = _readable_story(request, story_id)
    if not story.is_finished:
        return _render_live(request, story)
    return _render_reading(request, story, RefineForm(), status=200)


def _render_live(request: HttpRequest, story: Story) -> HttpResponse:
    refining = bool(story.pending_refinement)
    stages = stage_labels(REFINEMENT_STAGES if refining else GENERATION_STAGES)
    reached = events.stage_states(story)
    for stage in stages:
        stage["state"] = reached.get(stage["role"], "waiting")
    context = {
        "story": story,
        "is_owner": story.owner_id == request.user.pk,
        "labels": _story_labels(story),
        "stages": stages,
        "refining": refining,
        "live_messages": _live_messages(),
    }
    return render(request, "stories/live.html", context)


def _render_reading(request: HttpRequest, story: Story, refine_form: RefineForm, status: int) -> HttpResponse:
    prefetch_related_objects([story], "agent_runs")
    analytics = story_analytics(story)
    versions = services.list_versions(request.user, story.pk, page=1, limit=VERSIONS_SHOWN)[1]
    metadata = story.metadata or {}
    context = {
        "story": story,
        "is_owner": story.owner_id == request.user.pk,
        "labels": _story_labels(story),
        "analytics": analytics,
        # Whole minutes, at least 1, from the assumed reading rate of stories.analytics.
        "reading_minutes": max(1, math.ceil(analytics.reading_time_minutes)),
        "chart": arc_chart(metadata.get("emotional_arc")),
        "quality_parts": quality_parts(metadata.get("quality_components")),
        "quality_percent": round(story.quality_score * 100) if story.quality_score is not None else None,
        "rasas": rasa_scores(story.emotions),
        "elements": cultural_elements(story.cultural_elements),
        "steps": agent_steps(analytics),
        "versions": versions.items,
        "refinement_labels": REFINEMENT_LABELS,
        "refinement_cancelled": story.error == services.REFINEMENT_CANCELLED,
        "paragraphs": paragraphs(story.content),
        "refine_form": refine_form,
        "refinement_help": REFINEMENT_HELP,
    }
    return render(request, "stories/read.html", context, status=status)


@login_required
@require_POST
def refine(request: HttpRequest, story_id: uuid.UUID) -> HttpResponse:
    story = _owned_story(request, story_id)
    form = RefineForm(request.POST)
    if not form.is_valid():
        if not story.is_finished:
            return redirect("story", story_id=story.pk)
        return _render_reading(request, story, form, status=400)

    wait = _throttle_wait(request)
    if wait is not None:
        logger.info("Refinement request of user %s over the generation limit; retry in %d s", request.user.pk, wait)
        messages.error(
            request,
            _("You have asked for many stories in a short time. Try again in %(seconds)s seconds.") % {"seconds": wait},
        )
        return redirect("story", story_id=story.pk)

    params = refinement.RefinementParams(
        refinement_type=form.cleaned_data["type"],
        improvements=form.cleaned_data["improvements"],
        preserve_elements=form.cleaned_data["preserve_elements"],
    )
    try:
        refinement.start_refinement(request.user, story.pk, params)
    except Conflict:
        logger.info("Refinement of story %s rejected: the story is %s", story.pk, story.status)
        messages.error(request, _("This story is still being written or refined. Wait until it is finished."))
    except ServiceUnavailable:
        # start_refinement raises before changing the story; the reason is in its message.
        logger.warning("Refinement of story %s rejected: the model is unavailable", story.pk)
        messages.error(request, _("The story model is not available right now. Try again in a minute."))
    except (services.StoryNotFound, services.StoryForbidden):
        raise Http404("No such story.") from None
    return redirect("story", story_id=story.pk)


@login_required
@require_POST
def cancel(request: HttpRequest, story_id: uuid.UUID) -> HttpResponse:
    """Stop the story's job; the form the live view's script sends to the API instead, when scripts run."""
    try:
        services.cancel_story(request.user, story_id)
    except services.StoryNotFound:
        raise Http404("No such story.") from None
    except Conflict:
        messages.info(request, _("The story had already finished."))
    return redirect("story", story_id=story_id)


@login_required
@require_POST
def publish(request: HttpRequest, story_id: uuid.UUID) -> HttpResponse:
    form = PublishForm(request.POST)
    form.is_valid()
    is_public = form.cleaned_data.get("is_public", False)
    try:
        services.update_story(request.user, story_id, services.StoryChanges(is_public=is_public))
    except services.StoryNotFound:
        raise Http404("No such story.") from None
    except services.StoryForbidden:
        raise PermissionDenied("Only the owner may change this story.") from None
    if is_public:
        messages.success(request, _("The story is public: every signed-in writer can read it now."))
    else:
        messages.success(request, _("The story is private again: only you can read it."))
    return redirect("story", story_id=story_id)


@login_required
@require_GET
def compare(request: HttpRequest, story_id: uuid.UUID) -> HttpResponse:
    story = _readable_story(request, story_id)
    versions = services.list_versions(request.user, story.pk, page=1, limit=VERSIONS_SHOWN)[1]
    form = DiffForm(request.GET or None)
    context: dict[str, object] = {"story": story, "form": form, "versions": versions.items}
    status = 200
    if form.is_bound and form.is_valid():
        try:
            before = services.get_version(request.user, story.pk, form.cleaned_data["before"])
            after = services.get_version(request.user, story.pk, form.cleaned_data["after"])
        except services.VersionNotFound:
            form.add_error(None, _("This story has no such version."))
            status = 404
        else:
            context.update({"before": before, "after": after, "diff": word_diff(before.content, after.content)})
    elif form.is_bound:
        status = 400
    return render(request, "stories/compare.html", context, status=status)


@login_required
@require_GET
def export(request: HttpRequest, story_id: uuid.UUID, extension: str) -> HttpResponse:
    story = _readable_story(request, story_id)
    if extension == "md":
        body, content_type = exports.as_markdown(story), "text/markdown; charset=utf-8"
    else:
        body, content_type = exports.as_text(story), "text/plain; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, exports.export_filename(story, extension))
    logger.info("Story %s exported as %s by user %s", story.pk, extension, request.user.pk)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, story_id: uuid.UUID) -> HttpResponse:
    story = _owned_story(request, story_id)
    if request.method == "POST":
        try:
            services.delete_story(request.user, story.pk)
        except services.StoryNotFound:
            raise Http404("No such story.") from None
        messages.success(request, _("The story “%(title)s” is deleted.") % {"title": story.title or _("Untitled story")})
        return redirect("library")
    return render(request, "stories/delete.html", {"story": story})
