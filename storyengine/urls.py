from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from storyengine import health

api_v2 = [
    path("", include("accounts.urls")),
    path("", include("stories.urls")),
    path("openapi.json", SpectacularAPIView.as_view(), name="openapi"),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="openapi"), name="redoc"),
]

urlpatterns = [
    path("health", health.health, name="health"),
    path("health/detailed", health.health_detailed, name="health-detailed"),
    path("api/v2/", include(api_v2)),
    path("admin/", admin.site.urls),
]

handler400 = "storyengine.api.errors.json_bad_request"
handler403 = "storyengine.api.errors.json_permission_denied"
handler404 = "storyengine.api.errors.json_not_found"
handler500 = "storyengine.api.errors.json_server_error"
