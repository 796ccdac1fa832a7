"""Send a message to a channel-layer group from any thread: a job thread, a Celery worker, a view.

Distributed mode (channels-redis) sends with ``async_to_sync``: the receivers
live in other processes and read Redis, so the sending loop does not matter.

Embedded mode uses the in-memory layer, whose queues belong to the server's event
loop. A send from another loop (``async_to_sync`` in a job thread runs one of its
own) puts the message in the queue without waking the receiver, which then gets
it seconds late. So the send is handed to the server loop with
``asyncio.run_coroutine_threadsafe``. Every async receiver calls
:func:`bind_loop` when it connects, which records that loop. With no loop bound
no receiver exists in this process, and the message is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def bind_loop() -> None:
    """Record the running event loop as the one in-memory group sends are handed to.

    Call it from the coroutine of a receiver (a consumer's ``connect``). A test
    run starts a new loop per test, so the latest binding wins.
    """
    global _server_loop
    loop = asyncio.get_running_loop()
    with _loop_lock:
        _server_loop = loop


def bound_loop() -> asyncio.AbstractEventLoop | None:
    """Return the loop recorded by :func:`bind_loop`, or None when none is bound or it has closed."""
    with _loop_lock:
        loop = _server_loop
    if loop is None or loop.is_closed():
        return None
    return loop


def send_to_group(group: str, message: dict[str, Any]) -> bool:
    """Send ``message`` to ``group`` from synchronous code in any thread.

    Returns True when the send was made or handed to the server loop, and False
    when it was dropped, because no receiver can exist (in-memory layer, no loop
    bound) or the send failed. A failure is logged with the group name instead
    of raised, because a lost notification must not fail the job that sent it.
    In distributed mode it must not be called from a thread that runs an event
    loop, where ``async_to_sync`` fails (logged and dropped like any failure).
    """
    layer = get_channel_layer()
    if layer is None:
        return False

    if isinstance(layer, InMemoryChannelLayer):
        loop = bound_loop()
        if loop is None:
            return False
        coroutine = layer.group_send(group, message)
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        except RuntimeError as exc:
            # The loop closed after bound_loop() checked it.
            coroutine.close()
            logger.warning("Send to channel-layer group %s dropped: %s", group, exc)
            return False
        future.add_done_callback(lambda done: _log_failure(done, group))
        return True

    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("Sending %s to channel-layer group %s failed", message.get("type"), group)
        return False
    return True


def _log_failure(future: Future[None], group: str) -> None:
    if future.cancelled():
        logger.warning("Send to channel-layer group %s was cancelled: the server loop stopped", group)
        return
    exc = future.exception()
    if exc is not None:
        logger.error("Sending to channel-layer group %s failed: %r", group, exc)
