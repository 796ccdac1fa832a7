from django.urls import path

from stories.api import streaming, views

urlpatterns = [
    path("stories", views.StoryListView.as_view(), name="story-list"),
    path("stories/generate", views.GenerateStoryView.as_view(), name="story-generate"),
    path("stories/generate/stream", streaming.GenerateStoryStreamView.as_view(), name="story-generate-stream"),
    path("stories/<uuid:story_id>", views.StoryDetailView.as_view(), name="story-detail"),
    path("stories/<uuid:story_id>/refine", views.RefineStoryView.as_view(), name="story-refine"),
    path("stories/<uuid:story_id>/events", streaming.StoryEventsView.as_view(), name="story-events"),
    path("stories/<uuid:story_id>/cancel", views.CancelStoryView.as_view(), name="story-cancel"),
    path("stories/<uuid:story_id>/versions", views.StoryVersionListView.as_view(), name="story-versions"),
    path(
        "stories/<uuid:story_id>/versions/<int:number>",
        views.StoryVersionDetailView.as_view(),
        name="story-version-detail",
    ),
]
