"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Every WebSocket route sits behind :class:`accounts.sockets.SocketAuthMiddleware`,
which closes a connection without a valid access token or signed-in session
with code 1008. No Origin check applies to the whole socket: API clients send no
Origin header or a foreign one and authenticate with a token, which is no
ambient credential. The middleware checks the origin only where a browser's
session cookie is the credential.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyengine.settings")

django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts.sockets import SocketAuthMiddlewareStack  # noqa: E402
from storyengine.daphne_close_codes import allow_protocol_close_codes  # noqa: E402
from storyengine.routing import websocket_urlpatterns  # noqa: E402

allow_protocol_close_codes()

if settings.EMBEDDED_MODE:
    from stories.recovery import recover_unfinished_stories

    recover_unfinished_stories()

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": SocketAuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
