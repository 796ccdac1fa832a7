from django.apps import AppConfig


class StoryEngineConfig(AppConfig):
    name = "storyengine"
    verbose_name = "Story engine"
