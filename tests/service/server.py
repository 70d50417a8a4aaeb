"""Start the real service (``python -m engine serve``) in a subprocess on a free loopback port, and stop it.

Tests talk to it with httpx over loopback only. Start-up is bounded (the server must
answer ``/healthz`` within :data:`START_TIMEOUT` seconds) and so is the stop (SIGTERM,
then SIGKILL); the log (stderr, JSON lines) is kept in a file the tests read.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT

__all__ = ["Server", "free_port", "running_server"]

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    """A port no one listens on now (the kernel's choice for a socket bound to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running service: its base URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> list[dict[str, Any]]:
        """Every JSON line the service logged so far (other lines are skipped)."""
        out = []
        for line in self.log_path.read_text("utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    out.append(item)
        return out

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def wait_for_log(self, predicate: Any, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The log lines matching ``predicate`` once there are at least ``count`` of them (bounded wait)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.log() if predicate(line)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@contextlib.contextmanager
def running_server(tmp: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``pore-protocol serve --port P ARGS`` on loopback, ready to answer; stopped on exit."""
    port = free_port()
    log_path = tmp / f"serve-{port}.log"
    command = [sys.executable, "-m", "engine", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})}
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {START_TIMEOUT} s:\n{server.log_text()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)


def workers_ready(server: Server, count: int) -> set[int]:
    """The pids of the workers that logged they are ready, once ``count`` have (bounded wait)."""
    lines = server.wait_for_log(lambda line: line.get("event") == "worker_ready", count)
    return {int(line["worker"]) for line in lines}
