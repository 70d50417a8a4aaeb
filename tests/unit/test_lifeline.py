"""A helper process ends soon after its parent is gone, including when it started after the parent died."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

# The parent starts a helper that watches it, prints the helper's pid, and waits to be killed.
# ``late``: the helper is handed a parent pid that is already gone (it started too late).
_PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    helper = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
    print(helper.pid, flush=True)
    time.sleep(120)
    """
)
_HELPER = textwrap.dedent(
    """
    import os, signal, sys, time
    from engine._lifeline import watch_parent
    if sys.argv[1] == "graceful":  # a helper that stops in order on SIGTERM, as uvicorn does
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(print("stopped in order", file=sys.stderr)))
    told = lambda: print("parent gone", file=sys.stderr, flush=True)
    watch_parent(1 << 22 if sys.argv[1] == "late" else os.getppid(), check_seconds=0.05, gone=told)
    time.sleep(120)
    """
)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("when", ["now", "late", "graceful"])
def test_the_helper_ends_once_its_parent_is_gone(when: str, tmp_path: Path) -> None:
    """``late``: the helper was handed a parent already gone; ``graceful``: it stops in order on SIGTERM."""
    log = tmp_path / "helper.log"
    with log.open("w") as stderr:
        parent = subprocess.Popen(
            [sys.executable, "-c", _PARENT, _HELPER, when], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    assert parent.stdout is not None
    helper = int(parent.stdout.readline())
    try:
        if when != "late":
            time.sleep(0.5)
            assert _alive(helper)  # it lives as long as its parent does
            parent.kill()
        deadline = time.monotonic() + 20
        while _alive(helper) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(helper)
        said = log.read_text()
        assert "parent gone" in said
        assert ("stopped in order" in said) == (when == "graceful")
    finally:
        parent.kill()
        parent.wait(timeout=30)
        parent.stdout.close()
        subprocess.run(["kill", "-9", str(helper)], capture_output=True, check=False)
