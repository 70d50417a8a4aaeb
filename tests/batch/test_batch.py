"""Batch evaluation: same bytes as one-by-one evaluation, in order, bad records reported and not raised."""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import engine
from engine import cli
from engine.batch import _run as _batch
from engine.batch import csv_records, jsonl_records
from engine.batch._run import BatchResult, RecordError, run_batch
from engine.cli._batch import Progress
from tests.conftest import BASELINE, ROOT, RULES


def _clients() -> list[Any]:
    """A varied set: every Fitzpatrick type and skin type, unknowns, risk factors, history, bad facts."""
    out: list[Any] = []
    for i in range(36):
        facts = copy.deepcopy(BASELINE)
        facts["fitzpatrick"] = 1 + i % 6
        facts["skin_type"] = ("oily", "dry", "combination", "normal", "sensitive")[i % 5]
        facts["pore_causes"] = [["excess_sebum"], ["congestion", "sun_damage"], ["elasticity_loss"], []][i % 4]
        if i % 7 == 3:
            del facts["pregnant"]
        if i % 9 == 4:
            facts["isotretinoin_last_dose"] = "2026-09-01"
        if i % 5 == 2:
            facts["previous_treatments"] = [{"technique": "peel.glycolic", "date": "2026-11-20"}]
        if i % 11 == 6:
            facts["start_date"] = "2026-12-01"
        out.append(facts)
    out.insert(5, {**BASELINE, "fitzpatrick": 9})  # invalid facts
    out.insert(12, ["not", "a", "mapping"])  # not a mapping at all
    out.insert(20, {**BASELINE, "pregnat": True})  # misspelt fact
    return out


CLIENTS = _clients()
BAD = {6, 13, 21}  # 1-based record numbers of the invalid records above


def _sequential(protocol: engine.Protocol, records: list[Any]) -> list[str | None]:
    out: list[str | None] = []
    for record in records:
        try:
            out.append(protocol.evaluate(record).model_dump_json())
        except engine.FactsError:
            out.append(None)
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_plans_are_byte_identical_to_sequential_evaluation(protocol: engine.Protocol, workers: int) -> None:
    expected = _sequential(protocol, CLIENTS)
    results = list(engine.evaluate_batch(CLIENTS, rules=RULES, workers=workers, chunk_size=4))
    assert [r.number for r in results] == list(range(1, len(CLIENTS) + 1))
    assert [r.plan_json for r in results] == expected
    assert {r.number for r in results if not r.ok} == BAD
    for result in results:
        if result.number in BAD:
            assert result.error is not None and result.error.kind == "facts" and result.plan_json is None
        else:
            assert result.error is None


def test_a_bad_record_reports_every_problem_and_does_not_stop_the_batch() -> None:
    records = [BASELINE, {**BASELINE, "fitzpatrick": 9, "pregnat": True}, BASELINE]
    results = list(engine.evaluate_batch(records, rules=RULES))
    assert [r.ok for r in results] == [True, False, True]
    error = results[1].error
    assert error is not None
    messages = " ".join(i.message for i in error.issues)
    assert "9 is outside 1-6" in messages and "unknown fact" in messages
    body = json.loads(results[1].to_json())
    assert body["record"] == 2 and body["error"] == "facts" and len(body["issues"]) == 2
    with pytest.raises(engine.FactsError):
        results[1].plan()


def test_result_plan_round_trips(protocol: engine.Protocol) -> None:
    (result,) = engine.evaluate_batch([BASELINE], rules=RULES)
    assert result.plan() == protocol.evaluate(BASELINE)
    assert result.plan().model_dump_json() == result.to_json()


def test_progress_callback_counts_every_record() -> None:
    seen: list[int] = []
    list(engine.evaluate_batch(CLIENTS[:10], rules=RULES, workers=2, chunk_size=3, progress=seen.append))
    assert sum(seen) == 10


def test_invalid_rules_raise_before_any_record(tmp_path: Path) -> None:
    rules = shutil.copytree(RULES, tmp_path / "rules")
    (rules / "protocol.yaml").write_text("id: [\n")
    with pytest.raises(engine.RulesError):
        next(iter(engine.evaluate_batch([BASELINE], rules=rules, workers=2)))


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers"):
        next(iter(engine.evaluate_batch([BASELINE], rules=RULES, workers=0)))


def test_an_engine_failure_on_one_record_is_reported_for_that_record(monkeypatch: pytest.MonkeyPatch) -> None:
    real = engine.Protocol.evaluate

    def flaky(self: engine.Protocol, facts: Any) -> engine.TreatmentPlan:
        if facts.get("age") == 99:
            raise engine.EngineError("the matcher failed while evaluating: simulated")
        return real(self, facts)

    monkeypatch.setattr(engine.Protocol, "evaluate", flaky)
    results = list(engine.evaluate_batch([BASELINE, {**BASELINE, "age": 99}, BASELINE], rules=RULES))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error == RecordError("engine", "the matcher failed while evaluating: simulated")


def test_a_worker_that_loaded_other_rules_refuses_to_evaluate() -> None:
    _batch._worker_init(str(RULES), "0" * 64)
    try:
        with pytest.raises(engine.EngineError, match="changed"):
            _batch._worker_run([(1, None, BASELINE)])
    finally:
        _batch._WORKER.clear()


def test_input_errors_pass_through_in_order() -> None:
    records = [(1, 1, BASELINE), (2, 3, RecordError("input", "not valid JSON")), (3, 4, BASELINE)]
    for workers in (1, 2):
        results = list(run_batch(records, rules=RULES, workers=workers))
        assert [(r.number, r.line, r.ok) for r in results] == [(1, 1, True), (2, 3, False), (3, 4, True)]
        assert json.loads(results[1].to_json()) == {
            "record": 2,
            "line": 3,
            "error": "input",
            "message": "not valid JSON",
            "issues": [],
        }


# -- reading JSON Lines and CSV


def test_jsonl_numbers_records_and_reports_bad_lines_with_their_line_number() -> None:
    text = '{"a": 1}\n\n   \nnot json\n{"a": 1, "a": 2}\n{"x": NaN}\n[1, 2]\n'
    got = list(jsonl_records(iter(io.StringIO(text))))
    assert [(n, line) for n, line, _ in got] == [(1, 1), (2, 4), (3, 5), (4, 6), (5, 7)]
    assert got[0][2] == {"a": 1}
    assert isinstance(got[1][2], RecordError) and "not valid JSON" in got[1][2].message
    assert isinstance(got[2][2], RecordError) and "appears twice" in got[2][2].message
    assert isinstance(got[3][2], RecordError) and "NaN is not a number" in got[3][2].message
    assert got[4][2] == [1, 2]  # valid JSON; the engine reports that it is not a mapping


def test_csv_cells_are_typed_by_the_vocabulary(protocol: engine.Protocol) -> None:
    text = (
        "assessment_date,fitzpatrick,pregnant,skin_type,pore_causes,isotretinoin_last_dose,previous_treatments,age\n"
        '2026-11-25,2,false,oily,excess_sebum;congestion,never,"[{""technique"": ""peel.glycolic"", ""date"": '
        '""2026-10-01""}]",\n'
        "\n"
        "2026-11-25,3,true,dry,[],2026-01-01,[],40\n"
        "2026-11-25,x,yes,oily,,,,\n"
        "2026-11-25,2\n"
    )
    got = list(csv_records(io.StringIO(text), protocol.facts))
    assert [(n, line) for n, line, _ in got] == [(1, 2), (2, 4), (3, 5), (4, 6)]
    assert got[0][2] == {
        "assessment_date": "2026-11-25",
        "fitzpatrick": 2,
        "pregnant": False,
        "skin_type": "oily",
        "pore_causes": ["excess_sebum", "congestion"],
        "isotretinoin_last_dose": "never",
        "previous_treatments": [{"technique": "peel.glycolic", "date": "2026-10-01"}],
    }
    assert got[1][2]["pore_causes"] == [] and got[1][2]["age"] == 40 and got[1][2]["pregnant"] is True
    # cells that do not convert stay text, so the engine reports them with its usual message
    assert got[2][2] == {"assessment_date": "2026-11-25", "fitzpatrick": "x", "pregnant": "yes", "skin_type": "oily"}
    assert isinstance(got[3][2], RecordError) and "2 cells" in got[3][2].message


def test_progress_bar_draws_counts_and_rate() -> None:
    stream = io.StringIO()
    bar = Progress(stream, total=4, enabled=True)
    bar(2)
    bar.close()
    text = stream.getvalue()
    assert "2/4" in text and "50%" in text and "records/s" in text and text.endswith("\n")
    quiet = io.StringIO()
    off = Progress(quiet, total=None, enabled=False)
    off(3)
    off.close()
    assert quiet.getvalue() == ""


# -- the command line


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONWARNINGS="error")
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "clients.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CLIENTS), encoding="utf-8")
    return path


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines()


def test_cli_writes_one_line_per_record_identical_to_the_library(
    protocol: engine.Protocol, jsonl: Path, tmp_path: Path
) -> None:
    expected = _sequential(protocol, CLIENTS)
    result = _cli("evaluate-batch", str(jsonl), "--workers", "2", "--no-progress")
    assert result.returncode == 2, result.stderr.decode()  # three records have invalid facts
    lines = _lines(result.stdout)
    assert len(lines) == len(CLIENTS)
    for number, (line, plan) in enumerate(zip(lines, expected, strict=True), 1):
        if plan is None:
            body = json.loads(line)
            assert body["record"] == number and body["line"] == number and body["error"] == "facts"
        else:
            assert line == plan
    assert b"Traceback" not in result.stderr
    out = tmp_path / "plans.jsonl"
    again = _cli("evaluate-batch", str(jsonl), "--output", str(out), "--no-progress")
    assert again.returncode == 2 and again.stdout == b""
    assert out.read_bytes() == result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clients.jsonl", "plans.jsonl"]


def test_cli_exit_0_when_every_record_has_a_plan_and_reads_stdin(protocol: engine.Protocol) -> None:
    good = [c for i, c in enumerate(CLIENTS, 1) if i not in BAD][:5]
    result = _cli("evaluate-batch", "-", stdin="".join(json.dumps(c) + "\n" for c in good).encode())
    assert result.returncode == 0, result.stderr.decode()
    assert _lines(result.stdout) == _sequential(protocol, good)


def test_cli_reads_csv_from_a_file_and_from_stdin(protocol: engine.Protocol, tmp_path: Path) -> None:
    header = "assessment_date,fitzpatrick,skin_type,pore_causes,pregnant\n"
    text = header + "2026-11-25,2,oily,excess_sebum;congestion,false\n2026-11-25,7,oily,,\n"
    path = tmp_path / "clients.csv"
    path.write_text(text, encoding="utf-8")
    first = {
        "assessment_date": "2026-11-25",
        "fitzpatrick": 2,
        "skin_type": "oily",
        "pore_causes": ["excess_sebum", "congestion"],
        "pregnant": False,
    }
    for args, stdin in (((str(path),), None), (("-",), text.encode()), (("-", "--format", "csv"), text.encode())):
        result = _cli("evaluate-batch", *args, stdin=stdin)
        assert result.returncode == 2, result.stderr.decode()
        lines = _lines(result.stdout)
        assert lines[0] == protocol.evaluate(first).model_dump_json()
        body = json.loads(lines[1])
        assert body["record"] == 2 and body["line"] == 3 and "7 is outside 1-6" in body["issues"][0]["message"]


def test_cli_exit_codes(tmp_path: Path, jsonl: Path) -> None:
    missing = _cli("evaluate-batch", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and b"does not exist" in missing.stderr and missing.stdout == b""
    assert _cli("evaluate-batch", str(jsonl), "--workers", "0").returncode == 64
    assert _cli("evaluate-batch").returncode == 64
    rules = shutil.copytree(RULES, tmp_path / "rules")
    (rules / "techniques.yaml").write_text("techniques: {}\n")
    broken = _cli("evaluate-batch", str(jsonl), "--rules", str(rules))
    assert broken.returncode == 3 and broken.stdout == b"" and b"invalid rules" in broken.stderr
    assert b"Traceback" not in broken.stderr


def test_cli_engine_failure_exits_4_and_keeps_the_other_records(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real = engine.Protocol.evaluate

    def flaky(self: engine.Protocol, facts: Any) -> engine.TreatmentPlan:
        if facts.get("age") == 99:
            raise engine.EngineError("simulated")
        return real(self, facts)

    monkeypatch.setattr(engine.Protocol, "evaluate", flaky)
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({**BASELINE, "age": 99}) + "\n" + json.dumps({**BASELINE, "fitzpatrick": 9}) + "\n")
    assert cli.main(["evaluate-batch", str(path), "--no-progress"]) == 4
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["error"] for line in lines] == ["engine", "facts"]


def test_cli_output_file_is_not_left_behind_when_the_run_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def boom(*args: Any, **kwargs: Any) -> Iterator[BatchResult]:
        yield BatchResult(1, plan_json="{}")
        raise engine.EngineError("a batch worker process died")

    monkeypatch.setattr("engine.cli._batch.run_batch", boom)
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(BASELINE) + "\n")
    out = tmp_path / "out.jsonl"
    assert cli.main(["evaluate-batch", str(path), "--output", str(out), "--no-progress"]) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]
