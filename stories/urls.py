from django.urls import path

from stories.api import views

urlpatterns = [
    path("stories/generate", views.GenerateStoryView.as_view(), name="story-generate"),
    path("stories/<uuid:story_id>", views.StoryDetailView.as_view(), name="story-detail"),
]
