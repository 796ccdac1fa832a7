"""Settings of the Celery worker processes that the worker tests start.

The test suite's settings, except that jobs are taken from the broker, since
the worker is the process that runs them. STORYENGINE_TEST_MAX_TOKENS_CAP, when
set, lowers every model call's max_tokens further, for tests that run many jobs.
"""

import os

from tests.settings import *  # noqa: F403

JOBS_IN_PROCESS = False
if os.environ.get("STORYENGINE_TEST_MAX_TOKENS_CAP"):
    STORYENGINE_MAX_TOKENS_CAP = int(os.environ["STORYENGINE_TEST_MAX_TOKENS_CAP"])
