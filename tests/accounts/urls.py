"""A root URLconf for the accounts tests: the accounts routes under /api/v2/ and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v2/", include("accounts.urls")),
]
