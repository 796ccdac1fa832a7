"""Routes of the analysis app served to the writer pages, under ``/pages/``."""

from django.urls import path

from analysis import views

urlpatterns = [
    path("transliterate", views.transliterate, name="transliterate"),
]
