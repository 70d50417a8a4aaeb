"""SIGHUP reloads the rules on every worker (2 here) while they keep serving; an invalid folder changes nothing."""

from __future__ import annotations

import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BASELINE, RULES
from tests.service.server import Server, running_server, workers_ready


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rules = tmp_path_factory.mktemp("reload") / "rules"
    shutil.copytree(RULES, rules)
    return rules


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, folder: Path) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("reload-log"), "--workers", "2", "--rules", str(folder)) as running:
        workers_ready(running, 2)
        yield running


def _versions(server: Server, times: int = 30) -> set[str]:
    """The versions the workers report, over ``times`` new connections (either worker may answer each)."""
    found = set()
    for _ in range(times):
        with httpx.Client(base_url=server.url, timeout=30) as client:
            found.add(client.get("/v1/protocol", headers={"Connection": "close"}).json()["version"])
    return found


def _reloads(server: Server, outcome: str, count: int) -> list[dict[str, object]]:
    lines = server.wait_for_log(lambda line: line.get("event") == "reload" and line.get("outcome") == outcome, count)
    return lines


def test_sighup_reloads_every_worker_and_none_stops_serving(server: Server, folder: Path) -> None:
    assert _versions(server) == {"2.0.0"}
    manifest = folder / "protocol.yaml"
    manifest.write_text(manifest.read_text("utf-8").replace("version: 2.0.0", "version: 2.0.1"), "utf-8")
    answers: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set() and len(answers) < 2000:  # bounded
                answers.append(client.post("/v1/evaluate", json=BASELINE).status_code)

    asking = threading.Thread(target=keep_asking)
    asking.start()
    try:
        server.process.send_signal(signal.SIGHUP)
        lines = _reloads(server, "ok", 2)
    finally:
        stop.set()
        asking.join(timeout=60)
    assert {line["worker"] for line in lines} == workers_ready(server, 2)
    assert all(line["protocol_version"] == "2.0.1" for line in lines)
    assert answers and set(answers) == {200}
    assert _versions(server) == {"2.0.1"}


def test_an_invalid_folder_keeps_the_old_rules_serving_and_the_log_says_why(server: Server, folder: Path) -> None:
    before = _versions(server)
    (folder / "contraindications.yaml").write_text("rules: [\n", "utf-8")
    server.process.send_signal(signal.SIGHUP)
    lines = _reloads(server, "failed", 2)
    assert {line["worker"] for line in lines} == workers_ready(server, 2)
    assert all("contraindications.yaml" in str(line["reason"]) for line in lines)
    assert _versions(server) == before
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.post("/v1/evaluate", json=BASELINE).status_code == 200
