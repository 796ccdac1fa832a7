"""Serve the site with one or more daphne processes sharing one listening socket.

daphne runs one process; a second core only serves requests when a second
process accepts connections on the same port. This command binds one socket per
process with SO_REUSEPORT and starts each daphne with ``--fd``. The kernel then
spreads new connections over the sockets by a hash of their addresses. With one
shared socket, the process that woke first accepted a whole burst of new
connections, and keep-alive clients stayed on it while the other idled.

Several processes need the distributed mode: with the in-memory channel layer
and the in-process job runner, an event published in one process never reaches
a stream served by another.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Serve the ASGI application with N daphne processes on one port."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--processes", type=int, default=1, help="daphne processes (default 1)")

    def handle(self, *args: object, host: str, port: int, processes: int, **options: object) -> None:
        if processes < 1:
            raise CommandError(f"Invalid --processes {processes}: expected 1 or more.")
        if processes > 1 and settings.EMBEDDED_MODE:
            raise CommandError(
                "Several processes need REDIS_URL (the distributed mode), because the embedded channel "
                "layer and job runner live inside one process. Set REDIS_URL or use --processes 1."
            )

        listeners = [bind(host, port) for _ in range(processes)]
        daphne = str(Path(sys.executable).with_name("daphne"))
        children = [
            subprocess.Popen(
                [daphne, "--fd", str(listener.fileno()), "storyengine.asgi:application"],
                pass_fds=(listener.fileno(),),
            )
            for listener in listeners
        ]
        logger.info(
            "Serving on http://%s:%d/ with %d daphne process(es): %s",
            host,
            port,
            processes,
            ", ".join(str(child.pid) for child in children),
        )

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            logger.error("A daphne process exited; stopping the others")
        except KeyboardInterrupt:
            logger.info("Stopping %d daphne process(es)", processes)
        finally:
            stop_children(children)
            for listener in listeners:
                listener.close()


def bind(host: str, port: int) -> socket.socket:
    """Open a listening TCP socket on ``host``:``port`` (IPv4 or IPv6) that other sockets may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}") from None
    listener.listen(1024)
    listener.set_inheritable(True)
    return listener


def stop_children(children: list[subprocess.Popen]) -> None:
    """Ask every child to stop, then kill the ones still running after the grace time."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
