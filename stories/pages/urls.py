"""Routes of the story pages, mounted at the site root."""

from django.urls import path

from stories.pages import views

urlpatterns = [
    path("stories", views.library, name="library"),
    path("stories/new", views.compose, name="compose"),
    path("stories/<uuid:story_id>", views.story, name="story"),
    path("stories/<uuid:story_id>/compare", views.compare, name="story-compare"),
    path("stories/<uuid:story_id>/cancel", views.cancel, name="story-cancel-page"),
    path("stories/<uuid:story_id>/refine", views.refine, name="story-refine-page"),
    path("stories/<uuid:story_id>/publish", views.publish, name="story-publish"),
    path("stories/<uuid:story_id>/delete", views.delete, name="story-delete"),
    path("stories/<uuid:story_id>/export.txt", views.export, {"extension": "txt"}, name="story-export-text"),
    path("stories/<uuid:story_id>/export.md", views.export, {"extension": "md"}, name="story-export-markdown"),
]
