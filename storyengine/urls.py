from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from storyengine import benchviews, health
from stories.pages import views as stories_pages

api_v2 = [
    path("", include("accounts.urls")),
    path("", include("stories.urls")),
    path("", include("agents.urls")),
    # The JSON view, because the plain one returns YAML to a client that sends no Accept header.
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="openapi"), name="redoc"),
]

urlpatterns = [
    path("health", health.health, name="health"),
    path("health/detailed", health.health_detailed, name="health-detailed"),
    path("pages/", include("analysis.urls")),
    # v1 serves the v2 handlers; ApiDeprecationMiddleware adds its deprecation headers.
    # The "v1" namespace keeps reverse("story-detail") and the docs' schema link on v2.
    path("api/v1/", include((api_v2, "v1"))),
    path("api/v2/", include(api_v2)),
    path("admin/", admin.site.urls),
    # The writer pages, in Telugu by default (storyengine.language).
    path("", stories_pages.home, name="home"),
    path("", include("accounts.pages.urls")),
    path("", include("stories.pages.urls")),
]

if settings.STORYENGINE_BENCH_VIEWS:
    urlpatterns.append(path("bench/json", benchviews.bare_json, name="bench-json"))

handler400 = "storyengine.api.errors.json_bad_request"
handler403 = "storyengine.api.errors.json_permission_denied"
handler404 = "storyengine.api.errors.json_not_found"
handler500 = "storyengine.api.errors.json_server_error"
