from django.apps import AppConfig


class CollaborationConfig(AppConfig):
    """Live rooms where several writers and the agents write one story (not built yet)."""

    name = "collaboration"
    verbose_name = "Collaboration"
