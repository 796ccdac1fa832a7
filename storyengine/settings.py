"""Settings of the story engine, read from the environment.

Unset ``DATABASE_URL`` and ``REDIS_URL`` give the embedded mode: SQLite in WAL
mode, the in-memory channel layer and generation jobs run by an in-process
executor. Setting them gives the distributed mode: PostgreSQL, channels-redis
and Celery workers on Redis.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from storyengine.env import env_bool, env_date, env_int, env_list, env_rate, env_str, env_url, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is missing: set it, or set DJANGO_DEBUG=1 for local development "
            "(`make run` writes a random key into .env)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "storyengine",
    "accounts",
    "analysis",
    "agents",
    "stories",
    "collaboration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compression wraps every response below it; it sits under WhiteNoise, which
    # serves its own precompressed static files.
    "storyengine.middleware.ApiGZipMiddleware",
    "storyengine.middleware.ApiDeprecationMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's LocaleMiddleware, choosing from the writer's preference instead of
    # Accept-Language, so it needs request.user and follows AuthenticationMiddleware.
    "storyengine.language.PageLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last on purpose: under ASGI, Django runs every middleware above the lowest
    # sync-only one synchronously in one worker thread. Below an async-capable
    # middleware, each MiddlewareMixin hook would be a thread hop of its own, and
    # a bare view measured 6.6 ms per request instead of 2.5 ms in-process.
    "storyengine.middleware.EnglishApiMiddleware",
]

ROOT_URLCONF = "storyengine.urls"
ASGI_APPLICATION = "storyengine.asgi.application"
WSGI_APPLICATION = "storyengine.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite by default. WAL lets page reads go on while a job writes its
# checkpoints; IMMEDIATE transactions plus the busy timeout make two writers wait
# for each other instead of failing with "database is locked".
DATABASE_URL = env_url("DATABASE_URL", ("sqlite", "postgres", "postgresql"))
if DATABASE_URL:
    # Under ASGI each request runs its sync code in a thread of its own, so a
    # connection kept per thread (CONN_MAX_AGE) is never reused, and opening one
    # per request cost about 6 ms of a 15 ms story-list request. On PostgreSQL
    # a psycopg pool per process hands connections from thread to thread instead;
    # STORYENGINE_DB_POOL_SIZE=0 turns it off (one new connection per request).
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASE_POOL_SIZE = env_int("STORYENGINE_DB_POOL_SIZE", 8, minimum=0, maximum=100)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_SIZE:
    # With CONN_HEALTH_CHECKS on, Django has the pool check each connection it hands out.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "te"
LANGUAGES = [("te", _("Telugu")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "library"
LOGOUT_REDIRECT_URL = "login"
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # fonts/NotoSansTelugu.ttf from the fontpkg-noto-sans-telugu package.
    "storyengine.fonts.NotoSansTeluguFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# A file missing from the manifest (collectstatic not run yet) gets its plain URL
# instead of failing the page.
WHITENOISE_MANIFEST_STRICT = False
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"

# Embedded or distributed mode.
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))
EMBEDDED_MODE = REDIS_URL is None
# Run Celery tasks on an in-process executor thread instead of sending them to a broker.
JOBS_IN_PROCESS = EMBEDDED_MODE

if REDIS_URL:
    # channels-redis waits for a message with a BRPOP of 5 s, and redis-py 8
    # gives up reading a socket after 5 s by default, so an idle consumer failed
    # with "Timeout reading". A read timeout above the BRPOP's avoids that.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": env_str("STORYENGINE_CHANNEL_PREFIX", "storyengine"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache backs the throttles, so one limit applies to every process that
# serves the same Redis.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery. Model jobs go to the "generation" queue, whose workers load the model;
# periodic jobs go to "maintenance", which needs no model. `make run-distributed`
# starts one worker for both queues.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Each worker process loads its own copy of the model, and one llama.cpp context
# already uses every core given by STORYENGINE_N_THREADS.
CELERY_WORKER_CONCURRENCY = env_int("STORYENGINE_WORKER_CONCURRENCY", 1, minimum=1, maximum=64)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A job whose broker connection drops is stopped, since its unacknowledged message
# goes back to the queue for another worker.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "stories.tasks.generate_story": {"queue": "generation"},
    "stories.tasks.refine_story": {"queue": "generation"},
    "stories.tasks.find_stale_jobs": {"queue": "maintenance"},
    "stories.tasks.prune_story_events": {"queue": "maintenance"},
    # Celery's own daily job, which beat schedules whenever results are kept.
    "celery.backend_cleanup": {"queue": "maintenance"},
}
# Redis hands a message that was taken but never acknowledged to another worker
# after this many seconds. It must exceed the longest job, or a live job's
# message would run twice; find_stale_jobs recovers dead jobs long before.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Recovery of jobs and the bound on waiting jobs. A running story untouched for
# STORYENGINE_STALE_JOB_SECONDS lost its worker. A live job touches it at least
# every 15 s while the model samples, so the value must exceed the longest stretch
# without sampling: a model load plus a prompt evaluation. That took about 35 s
# in one trial on a loaded 2-core machine, an observation and not a bound.
STORYENGINE_STALE_JOB_SECONDS = env_int("STORYENGINE_STALE_JOB_SECONDS", 120, minimum=1)
# A queued story untouched this long is dispatched again, in case its message was lost.
STORYENGINE_QUEUED_JOB_TIMEOUT = env_int("STORYENGINE_QUEUED_JOB_TIMEOUT", 1800, minimum=1)
STORYENGINE_STALE_CHECK_SECONDS = env_int("STORYENGINE_STALE_CHECK_SECONDS", 60, minimum=1)
STORYENGINE_EVENT_RETENTION_DAYS = env_int("STORYENGINE_EVENT_RETENTION_DAYS", 30, minimum=1)
# New generation requests get 503 with Retry-After while this many stories wait in the queue.
STORYENGINE_MAX_QUEUED_JOBS = env_int("STORYENGINE_MAX_QUEUED_JOBS", 8, minimum=1, maximum=10000)
# The periodic jobs live here, not in a data migration, so their intervals follow
# the variables above. DatabaseScheduler copies them into django-celery-beat's
# tables each time beat starts, where the admin shows them.
CELERY_BEAT_SCHEDULE = {
    "stories-find-stale-jobs": {
        "task": "stories.tasks.find_stale_jobs",
        "schedule": timedelta(seconds=STORYENGINE_STALE_CHECK_SECONDS),
        # A run that waited past the next one is dropped, so runs never pile up behind a busy worker.
        "options": {"expires": STORYENGINE_STALE_CHECK_SECONDS},
    },
    "stories-prune-events": {
        "task": "stories.tasks.prune_story_events",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
}

# REST API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["storyengine.api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "storyengine.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "storyengine.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"generation": env_rate("STORYENGINE_GENERATION_RATE", "10/min")},
    # Throttles key signed-in requests by user id. For any throttle that falls back
    # to the client address, 0 makes DRF read REMOTE_ADDR and ignore X-Forwarded-For,
    # which any client can set. Behind a trusted proxy, set this to its hop count.
    "NUM_PROXIES": 0,
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=3600),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# API v1 is an alias of v2 whose responses carry deprecation headers: ``Deprecation``
# (RFC 9745) from STORYENGINE_API_V1_DEPRECATED_ON and ``Sunset`` (RFC 8594) from
# STORYENGINE_API_V1_SUNSET, both ISO dates taken as midnight UTC.
STORYENGINE_API_V1_DEPRECATED_ON = env_date("STORYENGINE_API_V1_DEPRECATED_ON", date(2026, 12, 1))
STORYENGINE_API_V1_SUNSET = env_date("STORYENGINE_API_V1_SUNSET", date(2027, 6, 30))
if STORYENGINE_API_V1_SUNSET < STORYENGINE_API_V1_DEPRECATED_ON:
    raise ImproperlyConfigured(
        f"STORYENGINE_API_V1_SUNSET={STORYENGINE_API_V1_SUNSET} is invalid: it must not be earlier than "
        f"STORYENGINE_API_V1_DEPRECATED_ON={STORYENGINE_API_V1_DEPRECATED_ON}."
    )

# Responses larger than this many bytes are gzip-compressed for clients that accept it.
STORYENGINE_GZIP_MIN_BYTES = 1000

# Mounts /bench/json, a plain JsonResponse view that bench/api.py measures as the
# baseline for /health and the story list. Off everywhere but the benchmark.
STORYENGINE_BENCH_VIEWS = env_bool("STORYENGINE_BENCH_VIEWS", False)

SPECTACULAR_SETTINGS = {
    # Swagger UI and ReDoc are served from this site's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Telugu story engine API",
    "DESCRIPTION": (
        "AI agents running on llama.cpp write short stories in Telugu.\n\n"
        "Every 4xx and 5xx response has the `ErrorEnvelope` body. Requests that start a model job "
        "(every generation transport and refinement) share one limit per user, "
        "`STORYENGINE_GENERATION_RATE` (10 per minute by default); every authenticated request to "
        "such an endpoint counts toward it, including one that then fails validation, and a request "
        "over the limit gets 429 with a `Retry-After` header in seconds.\n\n"
        "`/api/v1/` serves the same operations and adds the `Deprecation`, `Sunset`, "
        "`X-API-Deprecation` and `X-API-Sunset` headers."
    ),
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its pages are public; an expired token sent along must not turn them into a 401.
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several serializers have a `status` field with different choices; the story's gets a stable name.
    "ENUM_NAME_OVERRIDES": {"StoryStatusEnum": "stories.models.StoryStatus"},
    "PREPROCESSING_HOOKS": ["storyengine.api.schema.exclude_v1_alias"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "storyengine.api.schema.describe_security_schemes",
    ],
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
# Browsers hide response headers outside the CORS safelist from scripts unless they are listed here.
CORS_EXPOSE_HEADERS = [
    "Retry-After",
    "Location",
    "Deprecation",
    "Sunset",
    "Link",
    "X-API-Deprecation",
    "X-API-Sunset",
]

# The model and the agents.
STORYENGINE_MODEL_PATH = env_str("STORYENGINE_MODEL_PATH")
if STORYENGINE_MODEL_PATH and not STORYENGINE_MODEL_PATH.lower().endswith(".gguf"):
    raise ImproperlyConfigured(
        f"STORYENGINE_MODEL_PATH={STORYENGINE_MODEL_PATH!r} is invalid: expected the path of a .gguf file."
    )
STORYENGINE_MODEL_DIR = Path(env_str("STORYENGINE_MODEL_DIR", str(BASE_DIR / ".cache" / "models")))
STORYENGINE_N_THREADS = env_int("STORYENGINE_N_THREADS", os.cpu_count() or 1, minimum=1, maximum=256)
STORYENGINE_N_GPU_LAYERS = env_int("STORYENGINE_N_GPU_LAYERS", 0, minimum=-1)
STORYENGINE_N_CTX = env_int("STORYENGINE_N_CTX", 4096, minimum=512, maximum=131072)
STORYENGINE_MODEL_SEED = env_int("STORYENGINE_MODEL_SEED", 42)
STORYENGINE_SYNC_TIMEOUT = env_int("STORYENGINE_SYNC_TIMEOUT", 300, minimum=1, maximum=3600)
STORYENGINE_GENERATION_RATE = REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["generation"]
# Tests lower every agent's max_tokens to this cap to keep the real model fast;
# None means each agent's own configuration applies.
STORYENGINE_MAX_TOKENS_CAP: int | None = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
