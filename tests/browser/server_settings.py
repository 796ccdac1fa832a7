"""Settings of the server the browser tests start: the test settings, serving static files from the source folders."""

from tests.settings import *  # noqa: F403

# No collectstatic step: WhiteNoise finds files the way runserver does.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
