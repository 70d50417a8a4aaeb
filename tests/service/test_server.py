"""The supervisor's workers: they end by themselves once the supervisor is gone, even killed outright."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.batch.test_batch import _alive
from tests.service.server import running_server, workers_ready


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_workers_stop_serving_once_the_supervisor_is_killed(tmp_path: Path) -> None:
    """Without its supervisor a worker would answer on the shared socket with nobody to restart,
    reload or stop it: SIGKILL gives the supervisor no chance to end them, so each watches it."""
    with running_server(tmp_path, "--workers", "2") as server:
        workers = workers_ready(server, 2)
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        try:
            server.process.kill()
            server.process.wait(timeout=30)
            deadline = time.monotonic() + 20  # each looks every engine._lifeline.CHECK_SECONDS (0.5 s)
            while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not [pid for pid in workers if _alive(pid)], "a worker outlived its supervisor"
            gone = server.wait_for_log(lambda line: line.get("event") == "supervisor_gone", count=2, timeout=5)
            assert {int(line["worker"]) for line in gone} == workers  # each said why it stopped
            with pytest.raises(httpx.TransportError):
                httpx.get(f"{server.url}/healthz", timeout=2.0)  # nobody answers on the port any more
        finally:
            for pid in workers:  # never leave a server behind, whatever failed above
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
