"""`manage.py serve`: several daphne processes on one socket."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_health(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout} s")


def test_embedded_mode_rejects_several_processes(settings):
    settings.EMBEDDED_MODE = True

    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("serve", "--processes", "2", "--port", str(free_port()))


def test_port_in_use_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]

        with pytest.raises(CommandError, match=f"Cannot listen on 127.0.0.1:{port}"):
            call_command("serve", "--port", str(port))


def test_two_processes_share_socket():
    """Two daphne children serve one port and both stop on SIGTERM."""
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "storyengine.settings",
        "DJANGO_SECRET_KEY": "serve-test-secret-key",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
    }
    environment.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--processes", "2"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", process)
        daphnes = [child for child in psutil.Process(process.pid).children() if "daphne" in " ".join(child.cmdline())]
        assert len(daphnes) == 2
        for _ in range(10):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                assert response.status == 200

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        _, alive = psutil.wait_procs(daphnes, timeout=15)
        assert alive == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
