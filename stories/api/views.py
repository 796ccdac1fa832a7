from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db.models import prefetch_related_objects
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stories import refinement, services
from stories.analytics import story_analytics
from stories.api.serializers import (
    GenerateStorySerializer,
    ListStoriesQuerySerializer,
    RefineStorySerializer,
    PageQuerySerializer,
    StoryAcceptedSerializer,
    StoryAnalyticsSerializer,
    StoryDetailQuerySerializer,
    StoryDetailSerializer,
    StoryListSerializer,
    StoryReadSerializer,
    StoryResponseSerializer,
    StoryUpdateSerializer,
    StoryVersionListSerializer,
    StoryVersionSerializer,
)
from stories.api.throttles import GenerationRateThrottle
from stories.models import Story

INVALID = OpenApiResponse(description="Invalid request. `error.details` names each offending parameter or field.")
NOT_FOUND = OpenApiResponse(description="No such story, or another user's private story.")
PRIVATE = OpenApiResponse(description="Another user's private story.")
NOT_OWNER = OpenApiResponse(description="Another user's public story: readable, but only its owner may change it.")


def _params(data: dict) -> services.GenerationParams:
    return services.GenerationParams(
        prompt=data["prompt"],
        story_type=data["story_type"],
        cultural_context=data["cultural_context"],
        target_length=data["length"],
        emotion_focus=data["emotion_focus"],
        style_preferences=data["style_preferences"],
        advanced_options=data["advanced_options"],
    )


def _with_runs(story_id: uuid.UUID) -> Story:
    return Story.objects.prefetch_related("agent_runs__agent").get(pk=story_id)


class GenerateStoryView(APIView):
    throttle_classes = [GenerationRateThrottle]

    @extend_schema(
        request=GenerateStorySerializer,
        responses={
            201: StoryResponseSerializer,
            202: OpenApiResponse(StoryAcceptedSerializer, description="Still running after the sync timeout."),
        },
        summary="Generate a story and wait for it",
    )
    def post(self, request: Request) -> Response:
        serializer = GenerateStorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        story = services.start_generation(request.user, _params(serializer.validated_data))
        story = services.wait_for_story(story.pk, timeout=settings.STORYENGINE_SYNC_TIMEOUT)

        if not story.is_finished:
            location = f"{request.path.rsplit('/stories/', 1)[0]}/stories/{story.pk}"
            return Response(
                StoryAcceptedSerializer({"story_id": story.pk, "status": story.status}).data,
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": location},
            )
        return Response(StoryResponseSerializer(_with_runs(story.pk)).data, status=status.HTTP_201_CREATED)


class StoryListView(APIView):
    @extend_schema(
        operation_id="stories_list",
        parameters=[ListStoriesQuerySerializer],
        responses={200: StoryListSerializer, 400: INVALID},
        summary="List the signed-in user's stories",
        description=(
            "Only the caller's own stories, staff included. A page past the end is an empty list with the "
            "right `total`."
        ),
    )
    def get(self, request: Request) -> Response:
        query = ListStoriesQuerySerializer.from_query(request.query_params)
        query.is_valid(raise_exception=True)

        page = services.list_stories(request.user, services.StoryListQuery(**query.validated_data))
        return Response(StoryListSerializer(page).data)


@contextmanager
def story_errors(forbidden_message: str = "This story is private.") -> Iterator[None]:
    """Turn the story services' lookup errors into 404 and 403 responses."""
    try:
        yield
    except services.StoryNotFound:
        raise exceptions.NotFound("Story not found.") from None
    except services.StoryForbidden:
        raise exceptions.PermissionDenied(forbidden_message) from None


class StoryDetailView(APIView):
    """Read, change or delete one story.

    Anyone signed in reads a public story; only the owner reads a private one
    (403 for others). Only the owner changes or deletes a story: another user
    gets 403 for a public story, which they can see, and 404 for a private one.
    Staff have no extra rights here; they use the admin.
    """

    @extend_schema(
        operation_id="stories_retrieve",
        parameters=[StoryDetailQuerySerializer],
        responses={200: StoryReadSerializer, 400: INVALID, 403: PRIVATE, 404: NOT_FOUND},
        summary="Read a story",
    )
    def get(self, request: Request, story_id: uuid.UUID) -> Response:
        query = StoryDetailQuerySerializer.from_query(request.query_params)
        query.is_valid(raise_exception=True)

        with story_errors():
            story = services.get_story_for_reader(request.user, story_id)
        prefetch_related_objects([story], "agent_runs__agent")
        data = StoryDetailSerializer(story).data
        if query.validated_data["include_analytics"]:
            data["analytics"] = StoryAnalyticsSerializer(story_analytics(story)).data
        return Response(data)

    @extend_schema(
        operation_id="stories_partial_update",
        request=StoryUpdateSerializer,
        responses={200: StoryDetailSerializer, 400: INVALID, 403: NOT_OWNER, 404: NOT_FOUND},
        summary="Rename a story or change who may read it",
        description="Allowed in any status; a running job keeps the new title.",
    )
    def patch(self, request: Request, story_id: uuid.UUID) -> Response:
        serializer = StoryUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        with story_errors("Only the owner of this story may change it."):
            story = services.update_story(request.user, story_id, services.StoryChanges(**serializer.validated_data))
        prefetch_related_objects([story], "agent_runs__agent")
        return Response(StoryDetailSerializer(story).data)

    @extend_schema(
        operation_id="stories_destroy",
        responses={204: OpenApiResponse(description="Deleted."), 403: NOT_OWNER, 404: NOT_FOUND},
        summary="Delete a story with its versions and agent runs",
        description="A queued or running story is cancelled first, so its job stops.",
    )
    def delete(self, request: Request, story_id: uuid.UUID) -> Response:
        with story_errors("Only the owner of this story may delete it."):
            services.delete_story(request.user, story_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StoryVersionListView(APIView):
    @extend_schema(
        operation_id="stories_versions_list",
        parameters=[PageQuerySerializer],
        responses={200: StoryVersionListSerializer, 400: INVALID, 403: PRIVATE, 404: NOT_FOUND},
        summary="List the saved versions of a story, newest first",
    )
    def get(self, request: Request, story_id: uuid.UUID) -> Response:
        query = PageQuerySerializer.from_query(request.query_params)
        query.is_valid(raise_exception=True)

        with story_errors():
            story, page = services.list_versions(request.user, story_id, **query.validated_data)
        listing = {
            "story_id": story.pk,
            "current_version": story.version,
            "items": page.items,
            "total": page.total,
            "page": page.page,
            "limit": page.limit,
            "total_pages": page.total_pages,
        }
        return Response(StoryVersionListSerializer(listing).data)


class StoryVersionDetailView(APIView):
    @extend_schema(
        operation_id="stories_versions_retrieve",
        responses={200: StoryVersionSerializer, 403: PRIVATE, 404: NOT_FOUND},
        summary="Read one version of a story with its full text",
    )
    def get(self, request: Request, story_id: uuid.UUID, number: int) -> Response:
        try:
            with story_errors():
                version = services.get_version(request.user, story_id, number)
        except services.VersionNotFound:
            raise exceptions.NotFound(f"Version {number} of this story not found.") from None
        return Response(StoryVersionSerializer(version).data)


class RefineStoryView(APIView):
    """Refine the owner's finished story into a new version and wait for it.

    Refinements share the generation rate limit. The previous versions stay
    readable under ``/versions``; a failed refinement keeps the current text and
    returns the reason in the error envelope.
    """

    throttle_classes = [GenerationRateThrottle]

    @extend_schema(
        request=RefineStorySerializer,
        responses={
            201: StoryResponseSerializer,
            202: OpenApiResponse(StoryAcceptedSerializer, description="Still running after the sync timeout."),
            400: INVALID,
            403: NOT_OWNER,
            404: NOT_FOUND,
            409: OpenApiResponse(description="The story is still being written or refined."),
        },
        summary="Refine a story into a new version",
    )
    def post(self, request: Request, story_id: uuid.UUID) -> Response:
        serializer = RefineStorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        params = refinement.RefinementParams(
            refinement_type=data["type"],
            improvements=data["improvements"],
            preserve_elements=data["preserve_elements"],
            parameters=data["parameters"],
        )

        with story_errors(forbidden_message="Only the owner may refine this story."):
            story = refinement.start_refinement(request.user, story_id, params)
        requested_version = story.version + 1
        story = services.wait_for_story(story.pk, timeout=settings.STORYENGINE_SYNC_TIMEOUT)

        if not story.is_finished:
            return Response(
                StoryAcceptedSerializer({"story_id": story.pk, "status": story.status}).data,
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": f"{request.path.rsplit('/refine', 1)[0]}"},
            )
        if story.version < requested_version:
            raise RefinementFailed(story.error or "The refinement did not finish.")
        location = f"{request.path.rsplit('/refine', 1)[0]}/versions/{story.version}"
        return Response(
            StoryResponseSerializer(_with_runs(story.pk)).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class RefinementFailed(exceptions.APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = "The refinement failed; the previous version is kept."
    default_code = "refinement_failed"


class CancelStoryView(APIView):
    """Cancel the owner's queued or running story, or the refinement running on it."""

    @extend_schema(
        request=None,
        responses={
            200: StoryDetailSerializer,
            404: NOT_FOUND,
            409: OpenApiResponse(description="The story is finished; there is no job to cancel."),
        },
        summary="Cancel a story's generation or refinement",
        description=(
            "The job stops within about a second and frees the model; a `cancelled` event goes to the "
            "story's event stream. A cancelled generation leaves the story `cancelled` with the text "
            "written so far; a cancelled refinement leaves it `completed` with its current version. "
            "Only the owner may cancel; any other user gets 404."
        ),
    )
    def post(self, request: Request, story_id: uuid.UUID) -> Response:
        with story_errors():
            story = services.cancel_story(request.user, story_id)
        prefetch_related_objects([story], "agent_runs__agent")
        return Response(StoryDetailSerializer(story).data)
