"""REST endpoints of the agents app: live status and configuration."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import metrics
from agents.api.serializers import (
    AgentStatusQuerySerializer,
    AgentStatusReportSerializer,
    ConfigureAgentResponseSerializer,
    ConfigureAgentSerializer,
)
from agents.configuration import SETTINGS_FIELDS, configure_agent
from agents.models import Agent, ConfigurationSource
from storyengine.api.errors import ErrorEnvelopeSerializer

VALIDATION_ERROR = OpenApiResponse(
    ErrorEnvelopeSerializer, description="Invalid request. `error.details` names each offending field."
)
UNAUTHORIZED = OpenApiResponse(
    ErrorEnvelopeSerializer, description="Missing, invalid or expired token, or an inactive account."
)


class IsStaff(BasePermission):
    """Lets staff users through; other signed-in users get 403 and anonymous requests 401."""

    message = "Only staff users can configure agents."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class AgentStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="agents_status",
        tags=["agents"],
        summary="Status and measured figures of every agent",
        description=(
            "Per-agent figures cover each agent's latest 100 finished runs (succeeded, fell back or failed), "
            "collaboration figures the runs of the latest 100 stories, and memory and model figures the process "
            "answering the request."
        ),
        parameters=[AgentStatusQuerySerializer],
        responses={200: AgentStatusReportSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED},
    )
    def get(self, request: Request) -> Response:
        query = AgentStatusQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)

        report = metrics.status_report(include_metrics=query.validated_data["include_metrics"])

        body = AgentStatusReportSerializer(report).data
        if report.performance_metrics is None:
            body.pop("performance_metrics")
        return Response(body)


class ConfigureAgentView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        operation_id="agents_configure",
        tags=["agents"],
        summary="Change an agent's configuration (staff only)",
        description=(
            "The agent's next step uses the new values, without a restart. Every change is written to the "
            "audit log with who, when and the old and new values of the changed fields. Stop strings and "
            "prompt templates are changed in the admin only."
        ),
        request=ConfigureAgentSerializer,
        responses={
            200: ConfigureAgentResponseSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: OpenApiResponse(ErrorEnvelopeSerializer, description="The user is not staff."),
            404: OpenApiResponse(ErrorEnvelopeSerializer, description="No agent has this id."),
        },
    )
    def post(self, request: Request, agent_id: str) -> Response:
        known_ids = list(Agent.objects.values_list("pk", flat=True))
        if agent_id not in known_ids:
            raise _agent_not_found(agent_id, known_ids)
        serializer = ConfigureAgentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values: dict[str, Any] = serializer.validated_data

        try:
            result = configure_agent(
                agent_id,
                agent_values=dict(values.get("performance_parameters", {})),
                settings_values={name: values[name] for name in SETTINGS_FIELDS if name in values},
                actor=request.user,
                source=ConfigurationSource.API,
            )
        except Agent.DoesNotExist:
            raise _agent_not_found(agent_id, known_ids) from None

        return Response(
            ConfigureAgentResponseSerializer(
                {
                    "agent_id": result.agent_id,
                    "configuration": result.configuration,
                    "status": "updated",
                    "effective_at": result.effective_at,
                }
            ).data
        )


def _agent_not_found(agent_id: str, known_ids: list[str]) -> exceptions.NotFound:
    return exceptions.NotFound(f"Agent {agent_id!r} not found: use one of {', '.join(sorted(known_ids))}.")
