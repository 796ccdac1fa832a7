"""Let daphne send the close codes that RFC 6455 gives servers, 1008 (policy violation) among them.

daphne 4.2.3 closes a socket with autobahn's ``sendClose``, which raises for any
code but 1000 and 3000-4999, the codes the browser API lets page scripts
send. A server may send the protocol's own codes
too (RFC 6455, section 7.4.1), and the API closes unauthenticated sockets with
1008. Without this patch daphne turns that close into a 1011 internal error.

:func:`allow_protocol_close_codes` makes daphne send those codes with autobahn's
``sendCloseFrame``, the method ``sendClose`` itself ends in, and leaves every
other code to the original method.
"""

from __future__ import annotations

# Codes a server may send. 1004, 1005, 1006 and 1015 must never be sent, and
# 1010 is a client's code.
PROTOCOL_CLOSE_CODES = frozenset({1001, 1002, 1003, 1007, 1008, 1009, 1011, 1012, 1013, 1014})


def allow_protocol_close_codes() -> None:
    """Patch daphne's WebSocket protocol once; does nothing when daphne is not installed."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return
    original = WebSocketProtocol.serverClose
    if getattr(original, "sends_protocol_codes", False):
        return

    def server_close(self, code=None):
        if code in PROTOCOL_CLOSE_CODES:
            self.sendCloseFrame(code=code)
        else:
            original(self, code)

    server_close.sends_protocol_codes = True
    WebSocketProtocol.serverClose = server_close
