"""Settings for the test suite: the real configuration with faster hashing and
a cap on every agent's max_tokens so the real model completes in seconds."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-deployment")

from storyengine.settings import *  # noqa: E402,F403
from storyengine.settings import BASE_DIR, DATABASES, REDIS_URL  # noqa: E402

# Jobs run on the in-process executor even when REDIS_URL is set. The worker
# tests (tests/workers, `make test-workers`) start real Celery worker processes.
JOBS_IN_PROCESS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORYENGINE_MAX_TOKENS_CAP = 40

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's in-memory default, so the embedded job thread and the
    # test share one WAL database the way the site does.
    # STORYENGINE_TEST_SQLITE names another file, so two suites can run side by side.
    test_file = os.environ.get("STORYENGINE_TEST_SQLITE", str(BASE_DIR / ".cache" / "test-db.sqlite3"))
    DATABASES["default"]["TEST"] = {"NAME": test_file}

if REDIS_URL:
    # Keep the suite's keys apart from a site running against the same Redis.
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "storyengine-tests"  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = "storyengine-tests"  # noqa: F405
