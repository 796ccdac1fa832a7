"""ASGI entry point: HTTP through Django; WebSocket routes join here as they are built."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyengine.settings")

django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

if settings.EMBEDDED_MODE:
    from stories.recovery import recover_unfinished_stories

    recover_unfinished_stories()

application = ProtocolTypeRouter({"http": django_application})
