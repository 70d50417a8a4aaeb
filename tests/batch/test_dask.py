"""Batch and diff on Dask: the same bytes as a local run, the rules sent as content, a lost worker retried.

Every cluster here is a LocalCluster on loopback (127.0.0.1) that the test starts and ends
itself: one shared by the in-process tests, one per command line run, and one in a process of
its own for the lost worker, so that a hang cannot outlive the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")

import engine
from engine import cli
from engine.authoring import diff_protocols, render_diff_text
from engine.authoring._diff import Client
from engine.batch import DaskCluster, Record, run_batch
from engine.batch import _dask as dask_module
from engine.batch._dask import RulesContent, _RulesPlugin
from tests.batch.test_batch import BAD, CLIENTS
from tests.conftest import BASELINE, ROOT, RULES

TIMEOUT = 120
"""Seconds any one command of these tests may take before it is ended (with its workers)."""


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    """``args`` in a fresh process and session, ended with its whole process group if it overruns."""
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return _run(sys.executable, "-m", "engine", *args)


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskCluster]:
    with DaskCluster("local:2") as started:
        yield started


def _records() -> list[Record]:
    return [Record(n, n, facts, f"c-{n}") for n, facts in enumerate(CLIENTS * 3, 1)]


# -- the library


def _lower_the_dark_skin_threshold(rules: Path) -> None:
    """The README's diff example: the ablative-laser exclusion from Fitzpatrick III instead of IV."""
    path = rules / "contraindications.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("fitzpatrick: {at_least: 4}", "fitzpatrick: {at_least: 3}"), "utf-8")


def test_run_batch_on_dask_gives_the_local_results_in_order(cluster: DaskCluster, protocol: engine.Protocol) -> None:
    records = _records()
    expected = [result.to_json() for result in run_batch(records, protocol=protocol)]
    seen: list[int] = []
    results = list(run_batch(records, protocol=protocol, dask=cluster, chunk_size=7, progress=seen.append))
    assert [result.to_json() for result in results] == expected
    assert sum(seen) == len(records) and len(seen) == -(-len(records) // 7)  # one call per partition
    assert {result.number for result in results if not result.ok} == {
        n for n in range(1, len(records) + 1) if (n - 1) % len(CLIENTS) + 1 in BAD
    }


def _compiled_where(protocols: tuple[engine.Protocol, ...], items: list[int]) -> list[str]:
    """Run on a worker: where its protocols were compiled from, and their sha256."""
    return [f"{protocol.path}|{protocol.sha256}" for protocol in protocols for _ in items]


def test_workers_compile_the_rules_content_not_the_folder(
    cluster: DaskCluster, protocol: engine.Protocol, tmp_path: Path
) -> None:
    """The client's folder is a path the workers never read: they compile the bytes they were sent."""
    rules = shutil.copytree(RULES, tmp_path / "private-rules")
    loaded = engine.load_protocol(rules)
    try:
        answers = [answer for _, answer in cluster.map(_compiled_where, (loaded, protocol), [[1], [2], [3]])]
    finally:
        loaded.close()
    for answer in answers:
        folders = [entry.split("|")[0] for entry in answer]
        assert [entry.split("|")[1] for entry in answer] == [loaded.sha256, protocol.sha256]
        assert str(rules) not in folders and str(RULES) not in folders
        assert all("pore-protocol-rules-" in folder for folder in folders)


def test_diff_on_dask_is_the_local_report(cluster: DaskCluster, tmp_path: Path) -> None:
    new_rules = shutil.copytree(RULES, tmp_path / "new")
    path = new_rules / "contraindications.yaml"
    path.write_text(
        path.read_text("utf-8").replace("fitzpatrick: {at_least: 4}", "fitzpatrick: {at_least: 3}"), "utf-8"
    )
    clients = [Client(f"c-{n}", facts) for n, facts in enumerate(CLIENTS, 1) if isinstance(facts, dict)]
    with engine.load_protocol(RULES) as old, engine.load_protocol(new_rules) as new:
        local = diff_protocols(old, new, clients)
        seen: list[int] = []
        remote = diff_protocols(old, new, iter(clients), dask=cluster, progress=seen.append)
    assert remote == local and sum(seen) == len(clients)
    assert local.changed and render_diff_text(remote) == render_diff_text(local)


# -- the rules as content


def test_rules_content_is_checked_against_the_loaded_sha256(protocol: engine.Protocol, tmp_path: Path) -> None:
    content = RulesContent.of(protocol)
    compiled = content.load()
    try:
        assert compiled.sha256 == protocol.sha256 and compiled.path != protocol.path
    finally:
        compiled.close()
    with pytest.raises(engine.EngineError, match="not the 000000000000 the client loaded"):
        RulesContent(content.files, "0" * 64).load()
    with pytest.raises(engine.EngineError, match="outside their folder"):
        RulesContent((("../evil.yaml", b"x"), *content.files), protocol.sha256).load()
    rules = shutil.copytree(RULES, tmp_path / "rules")
    with engine.load_protocol(rules) as loaded:
        (rules / "aftercare.yaml").write_text((rules / "aftercare.yaml").read_text("utf-8") + "\n# edited\n", "utf-8")
        with pytest.raises(engine.EngineError, match="changed after it was loaded"):
            RulesContent.of(loaded)


def test_a_worker_of_another_engine_version_refuses_to_evaluate(protocol: engine.Protocol) -> None:
    plugin = _RulesPlugin((RulesContent.of(protocol),), "0.0.1")
    plugin.setup(None)
    with pytest.raises(engine.EngineError, match=r"runs pore-protocol .* and the client 0\.0\.1"):
        plugin.protocols()
    plugin.teardown(None)


# -- a lost worker


def test_a_worker_lost_mid_run_is_retried_and_no_record_is_lost_or_repeated() -> None:
    """A worker is killed (SIGKILL) while it holds partitions; Dask runs them again, every record comes back once."""
    done = _run(sys.executable, "-W", "error", "-m", "tests.batch.dask_lost_worker")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout.decode().splitlines()[-1])
    assert report["victim_tasks"] >= 1 and report["rerun"], report  # the lost worker held partitions of the run
    assert report["records"] == 1200 and report["in_order_once"] and report["identical"], report


# -- the command line


def _parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.Table.from_pylist(rows), path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of every kind of input, with bad records in each."""
    data = tmp_path / "in"
    data.mkdir()
    lines = [json.dumps({"id": f"j-{n}", "facts": facts}) for n, facts in enumerate(CLIENTS, 1)]
    lines.insert(7, '{"assessment_date": "2026-11-25", ')
    (data / "a.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (data / "b.csv").write_text(
        "id,assessment_date,fitzpatrick,skin_type,pore_causes,pregnant\n"
        "b-1,2026-11-25,2,oily,excess_sebum;congestion,false\n"
        'b-2,2026-11-25,"3,oily,,\n'
        "b-3,2026-11-25,9,oily,,false\n",
        "utf-8",
    )
    _parquet(data / "c.parquet", [{"id": f"p-{n}", **BASELINE, "fitzpatrick": 1 + n % 6} for n in range(5)])
    (data / "notes.txt").write_text("not records\n", "utf-8")
    return data


def test_cli_on_dask_writes_the_local_output_byte_for_byte(folder: Path) -> None:
    local = _cli("evaluate-batch", str(folder), "--no-progress")
    dask = _cli("evaluate-batch", str(folder), "--dask", "local:2", "--no-progress")
    assert local.returncode == dask.returncode == 2, (local.stderr + dask.stderr).decode()
    assert dask.stdout == local.stdout
    lines = [json.loads(line) for line in local.stdout.decode().splitlines()]
    assert len(lines) == len(CLIENTS) + 1 + 3 + 5
    assert [line["file"] for line in lines] == [str(folder / "a.jsonl")] * (len(CLIENTS) + 1) + [
        str(folder / "b.csv")
    ] * 3 + [str(folder / "c.parquet")] * 5
    assert b"Traceback" not in dask.stderr
    assert b"notes.txt" in dask.stderr  # a file of the folder that is not read is named


def test_diff_cli_on_dask_prints_the_local_report(folder: Path, tmp_path: Path) -> None:
    new_rules = shutil.copytree(RULES, tmp_path / "new")
    path = new_rules / "contraindications.yaml"
    path.write_text(
        path.read_text("utf-8").replace("fitzpatrick: {at_least: 4}", "fitzpatrick: {at_least: 3}"), "utf-8"
    )
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(ROOT / "examples" / "clients.jsonl", good / "a.jsonl")
    shutil.copy(ROOT / "examples" / "clients.csv", good / "b.csv")
    local = _cli("diff", str(RULES), str(new_rules), "--clients", str(good), "--no-progress")
    dask = _cli("diff", str(RULES), str(new_rules), "--clients", str(good), "--dask", "local:2", "--no-progress")
    assert local.returncode == dask.returncode == 0, (local.stderr + dask.stderr).decode()
    assert dask.stdout == local.stdout
    assert b"16 clients evaluated: 2 plans change" in local.stdout
    assert f"{good / 'b.csv'}: C-1002:".encode() in local.stdout


def test_an_unreachable_scheduler_exits_69(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(dask_module, "CONNECT_SECONDS", 1.0)
    clients = ROOT / "examples" / "clients.jsonl"
    assert cli.main(["evaluate-batch", str(clients), "--dask", f"tcp://127.0.0.1:{port}"]) == 69
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(
        f"error: cannot use the Dask cluster at tcp://127.0.0.1:{port}"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--dask", "local:0"), "local:N starts 1 to 256 worker processes"),
        (("--dask", "local:x"), "local:N needs a whole number"),
        (("--dask", "127.0.0.1:8786"), "is not a Dask scheduler address"),
        (("--dask", "local:2", "--workers", "2"), "not allowed with argument"),
    ],
)
def test_dask_usage_errors_exit_64(args: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["evaluate-batch", "examples/clients.jsonl", *args])
    assert exc.value.code == 64 and message in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_sigterm_ends_the_local_cluster_and_removes_the_partial_output(tmp_path: Path) -> None:
    """As with local workers: exit 143, one line on stderr, no file left, no worker left."""
    from tests.batch.test_batch import _alive, _children

    clients = tmp_path / "clients.jsonl"
    clients.write_text("".join(json.dumps({"id": n, "facts": BASELINE}) + "\n" for n in range(20_000)), "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    args = ["evaluate-batch", str(clients), "--dask", "local:2", "--output", str(out / "r.jsonl")]
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not any(p.stat().st_size for p in out.iterdir()):  # the first partitions are written
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        workers = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143 and stderr.decode() == "terminated\n" and stdout == b""
    assert list(out.iterdir()) == []
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "a Dask worker outlived the batch"
