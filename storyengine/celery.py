"""The Celery application.

Workers start with ``celery -A storyengine worker -Q generation``. In embedded
mode no worker runs: ``storyengine.jobs`` executes the same tasks in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyengine.settings")

app = Celery("storyengine")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
