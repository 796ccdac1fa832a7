from __future__ import annotations

import uuid

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stories import services
from stories.api.serializers import (
    GenerateStorySerializer,
    StoryAcceptedSerializer,
    StoryDetailSerializer,
    StoryResponseSerializer,
)
from stories.api.throttles import GenerationRateThrottle
from stories.models import Story


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


class StoryDetailView(APIView):
    @extend_schema(
        responses={200: StoryDetailSerializer},
        summary="Read a story",
    )
    def get(self, request: Request, story_id: uuid.UUID) -> Response:
        try:
            story = services.get_story_for_reader(request.user, story_id)
        except services.StoryNotFound:
            raise exceptions.NotFound("Story not found.") from None
        except services.StoryForbidden:
            raise exceptions.PermissionDenied("This story is private.") from None
        return Response(StoryDetailSerializer(_with_runs(story.pk)).data)
