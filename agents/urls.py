"""Routes of the agents API, mounted under the API version prefix (`/api/v2/`)."""

from django.urls import path

from agents.api import views

urlpatterns = [
    path("agents/status", views.AgentStatusView.as_view(), name="agents-status"),
    path("agents/<str:agent_id>/configure", views.ConfigureAgentView.as_view(), name="agents-configure"),
]
