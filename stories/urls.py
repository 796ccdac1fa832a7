from django.urls import path

from stories.api import views

urlpatterns = [
    path("stories", views.StoryListView.as_view(), name="story-list"),
    path("stories/generate", views.GenerateStoryView.as_view(), name="story-generate"),
    path("stories/<uuid:story_id>", views.StoryDetailView.as_view(), name="story-detail"),
    path("stories/<uuid:story_id>/refine", views.RefineStoryView.as_view(), name="story-refine"),
    path("stories/<uuid:story_id>/versions", views.StoryVersionListView.as_view(), name="story-versions"),
    path(
        "stories/<uuid:story_id>/versions/<int:number>",
        views.StoryVersionDetailView.as_view(),
        name="story-version-detail",
    ),
]
