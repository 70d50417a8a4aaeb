"""Batch evaluation: same bytes as one-by-one evaluation, in order, bad records reported and not raised."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import engine
from engine import cli
from engine.batch import Record, _pool, csv_records, jsonl_records, read_lines, split_record
from engine.batch._results import Answers
from engine.batch._run import RecordError, run_batch
from engine.cli._batch import Progress
from tests.conftest import BASELINE, ROOT, RULES


def _envelope(number: int, plan: str, line: int | None = None, record_id: Any = None) -> str:
    """The output line of a planned record, built by hand: the plan's JSON embedded byte for byte."""
    head = f'{{"record":{number}'
    if line is not None:
        head += f',"line":{line}'
    if record_id is not None:
        head += f',"id":{json.dumps(record_id, ensure_ascii=False)}'
    return head + f',"plan":{plan}}}'


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
    assert result.to_json() == _envelope(1, protocol.evaluate(BASELINE).model_dump_json())
    assert json.loads(result.to_json())["plan"] == json.loads(result.plan().model_dump_json())


def test_library_records_may_carry_an_id(protocol: engine.Protocol) -> None:
    records: list[Any] = [
        {"id": "client-1", "facts": BASELINE},
        BASELINE,
        {"id": 7, "facts": {**BASELINE, "fitzpatrick": 9}},
        {"id": True, "facts": BASELINE},
        {"id": "x", "facts": BASELINE, "note": "?"},
        {"id": "y", "facts": [BASELINE]},
    ]
    results = list(engine.evaluate_batch(records, rules=RULES))
    assert [r.id for r in results] == ["client-1", None, 7, None, "x", "y"]
    assert results[0].plan_json == results[1].plan_json == protocol.evaluate(BASELINE).model_dump_json()
    assert results[0].to_json() == _envelope(1, protocol.evaluate(BASELINE).model_dump_json(), record_id="client-1")
    assert [r.error.kind if r.error else None for r in results] == [None, None, "facts", "input", "input", "input"]
    assert json.loads(results[2].to_json())["id"] == 7
    messages = [r.error.message for r in results[3:] if r.error]
    assert "id must be text or a whole number" in messages[0]
    assert "only 'id' beside it, not 'note'" in messages[1]
    assert "'facts' must be an object" in messages[2]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "1 to 200 characters"),
        ("x" * 201, "1 to 200 characters"),
        (10**200, "more than 200 digits"),
        ("a\nb", "control character"),
        ("\ud800", "not valid text"),
        (1.5, "not float"),
        (None, None),
        ("x" * 200, None),
        (-(10**199), None),
    ],
)
def test_ids_are_text_or_whole_numbers_of_bounded_length(value: Any, problem: str | None) -> None:
    record_id, facts = split_record({"id": value, "facts": BASELINE})
    if problem is None:
        assert record_id == value and facts == BASELINE
    else:
        assert record_id is None and isinstance(facts, RecordError) and problem in facts.message


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
    _pool._worker_init(str(RULES), "0" * 64)
    try:
        with pytest.raises(engine.EngineError, match="changed"):
            _pool._worker_run([Record(1, None, BASELINE)])
    finally:
        _pool._WORKER.clear()


def test_input_errors_pass_through_in_order() -> None:
    records = [(1, 1, BASELINE), Record(2, 3, RecordError("input", "not valid JSON"), "b"), (3, 4, BASELINE, 3)]
    for workers in (1, 2):
        results = list(run_batch(records, rules=RULES, workers=workers))
        assert [(r.number, r.line, r.id, r.ok) for r in results] == [
            (1, 1, None, True),
            (2, 3, "b", False),
            (3, 4, 3, True),
        ]
        assert json.loads(results[1].to_json()) == {
            "record": 2,
            "line": 3,
            "id": "b",
            "error": "input",
            "message": "not valid JSON",
            "issues": [],
        }


def test_closing_the_batch_early_ends_its_workers() -> None:
    """A caller that stops reading (an error, a signal) does not leave worker processes behind."""
    results = run_batch(((n, None, BASELINE) for n in range(1, 100_000)), rules=RULES, workers=2, chunk_size=4)
    assert next(results).ok
    children = multiprocessing.active_children()
    assert children
    results.close()
    assert not [child for child in children if child.is_alive()]


# -- reading JSON Lines and CSV


def _stream(text: str | bytes) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text)


def test_jsonl_numbers_records_and_reports_bad_lines_with_their_line_number() -> None:
    text = '{"a": 1}\n\n   \nnot json\n{"a": 1, "a": 2}\n{"x": NaN}\n[1, 2]\n{"id": "k", "facts": {"b": 2}}'
    got = list(jsonl_records(_stream(text)))
    expected = [(1, 1, None), (2, 4, None), (3, 5, None), (4, 6, None), (5, 7, None), (6, 8, "k")]
    assert [(r.number, r.line, r.id) for r in got] == expected
    assert got[0].facts == {"a": 1}
    assert isinstance(got[1].facts, RecordError) and "line 4 is not valid JSON" in got[1].facts.message
    assert isinstance(got[2].facts, RecordError) and "appears twice" in got[2].facts.message
    assert isinstance(got[3].facts, RecordError) and "NaN is not a number" in got[3].facts.message
    assert got[4].facts == [1, 2]  # valid JSON; the engine reports that it is not a mapping
    assert got[5].facts == {"b": 2}


def test_a_truncated_jsonl_record_names_the_column_where_it_stops() -> None:
    (record,) = jsonl_records(_stream('{"assessment_date": "2026-11-25", \r\n'))
    assert isinstance(record.facts, RecordError)
    assert "(column 35)" in record.facts.message, record.facts.message


def test_a_byte_that_is_not_utf8_spoils_only_its_record_and_is_located() -> None:
    lines = [json.dumps({"assessment_date": "2026-11-25", "n": i}).encode() for i in range(10)]
    lines[4] = b'{"skin_type": "caf\xe9"}'
    data = b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n"
    got = list(jsonl_records(_stream(data)))
    assert len(got) == 10
    assert [r.number for r in got if isinstance(r.facts, RecordError)] == [5]
    offset = data.index(b"\xe9")
    message = got[4].facts.message
    assert f"line 5 is not valid UTF-8: byte b'\\xe9' at offset {offset} " in message, message
    assert got[0].facts == {"assessment_date": "2026-11-25", "n": 0}  # the byte-order mark is skipped


def test_lines_longer_than_the_limit_are_skipped_in_bounded_memory() -> None:
    class Reader(io.BytesIO):
        largest = 0

        def readline(self, size: int | None = -1) -> bytes:
            assert size is not None and 0 < size <= 101
            chunk = super().readline(size)
            Reader.largest = max(Reader.largest, len(chunk))
            return chunk

    data = b"a" * 1000 + b"\n" + b"ok\r\n" + b"b" * 250
    got = list(read_lines(Reader(data), limit=100))
    assert [(line.number, line.data) for line in got] == [(1, None), (2, b"ok"), (3, None)]
    assert [line.offset for line in got] == [0, 1001, 1005]
    assert Reader.largest <= 101


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
    got = list(csv_records(_stream(text), protocol.facts))
    assert [(r.number, r.line) for r in got] == [(1, 2), (2, 4), (3, 5), (4, 6)]
    assert got[0].facts == {
        "assessment_date": "2026-11-25",
        "fitzpatrick": 2,
        "pregnant": False,
        "skin_type": "oily",
        "pore_causes": ["excess_sebum", "congestion"],
        "isotretinoin_last_dose": "never",
        "previous_treatments": [{"technique": "peel.glycolic", "date": "2026-10-01"}],
    }
    assert got[1].facts["pore_causes"] == [] and got[1].facts["age"] == 40 and got[1].facts["pregnant"] is True
    # cells that do not convert stay text, so the engine reports them with its usual message
    assert got[2].facts == {"assessment_date": "2026-11-25", "fitzpatrick": "x", "pregnant": "yes", "skin_type": "oily"}
    assert isinstance(got[3].facts, RecordError) and "2 cells" in got[3].facts.message


def test_a_csv_record_is_one_line_and_an_open_quote_spoils_only_that_line(protocol: engine.Protocol) -> None:
    text = (
        "\ufeffid,assessment_date,skin_type,age\n"
        "a,2026-11-25,oily,30\n"
        '2026-11-25,"oily,22\n'
        'c,2026-11-25,"dry",40\r\n'
        f"d,2026-11-25,oily,{'9' * 4301}\n"
        ",2026-11-25,normal,\n"
        f"{'e' * 201},2026-11-25,oily,\n"
    )
    got = list(csv_records(_stream(text), protocol.facts))
    assert [(r.number, r.line, r.id) for r in got] == [
        (1, 2, "a"),
        (2, 3, None),
        (3, 4, "c"),
        (4, 5, "d"),
        (5, 6, None),
        (6, 7, None),
    ]
    assert got[0].facts == {"assessment_date": "2026-11-25", "skin_type": "oily", "age": 30}
    assert isinstance(got[1].facts, RecordError) and "quote is left open at the end of line 3" in got[1].facts.message
    assert got[2].facts == {"assessment_date": "2026-11-25", "skin_type": "dry", "age": 40}
    assert isinstance(got[3].facts, RecordError) and "'age' holds a number of 4,301 digits" in got[3].facts.message
    assert got[4].facts == {"assessment_date": "2026-11-25", "skin_type": "normal"}
    assert isinstance(got[5].facts, RecordError) and "1 to 200 characters" in got[5].facts.message


def test_a_csv_header_that_cannot_be_read_stops_the_batch(protocol: engine.Protocol) -> None:
    with pytest.raises(engine.FactsError, match="'age' twice"):
        list(csv_records(_stream("age,age\n1,2\n"), protocol.facts))
    with pytest.raises(engine.FactsError, match="not valid UTF-8"):
        list(csv_records(_stream(b"ag\xe9\n1\n"), protocol.facts))


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
            assert "id" not in body and "plan" not in body
        else:
            assert line == _envelope(number, plan, line=number)
    assert b"Traceback" not in result.stderr
    out = tmp_path / "plans.jsonl"
    again = _cli("evaluate-batch", str(jsonl), "--output", str(out), "--no-progress")
    assert again.returncode == 2 and again.stdout == b""
    assert out.read_bytes() == result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clients.jsonl", "plans.jsonl"]


def test_cli_exit_0_when_every_record_has_a_plan_and_reads_stdin(protocol: engine.Protocol) -> None:
    good = [c for i, c in enumerate(CLIENTS, 1) if i not in BAD][:5]
    text = "".join(json.dumps({"id": f"client-{n}", "facts": c}) + "\n" for n, c in enumerate(good))
    result = _cli("evaluate-batch", "-", stdin=text.encode())
    assert result.returncode == 0, result.stderr.decode()
    plans = _sequential(protocol, good)
    assert _lines(result.stdout) == [
        _envelope(n + 1, plan or "", line=n + 1, record_id=f"client-{n}") for n, plan in enumerate(plans)
    ]


def test_cli_reads_csv_from_a_file_and_from_stdin(protocol: engine.Protocol, tmp_path: Path) -> None:
    header = "assessment_date,fitzpatrick,skin_type,pore_causes,pregnant,id\n"
    text = header + "2026-11-25,2,oily,excess_sebum;congestion,false,A-1\n2026-11-25,7,oily,,,0042\n"
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
        assert lines[0] == _envelope(1, protocol.evaluate(first).model_dump_json(), line=2, record_id="A-1")
        body = json.loads(lines[1])
        assert body["record"] == 2 and body["line"] == 3 and body["id"] == "0042"
        assert "7 is outside 1-6" in body["issues"][0]["message"]


def test_cli_exit_codes(tmp_path: Path, jsonl: Path) -> None:
    missing = _cli("evaluate-batch", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and b"does not exist" in missing.stderr and missing.stdout == b""
    assert _cli("evaluate-batch", str(jsonl), "--workers", "0").returncode == 64
    many = _cli("evaluate-batch", str(jsonl), "--workers", "257")
    assert many.returncode == 64 and b"at most 256 workers" in many.stderr and b"Traceback" not in many.stderr
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
    def boom(*args: Any, **kwargs: Any) -> Iterator[Answers]:
        yield Answers(b'{"record":1,"plan":{}}\n', (24,), (18,), ())
        raise engine.EngineError("a batch worker process died")

    monkeypatch.setattr("engine.cli._batch.stream_batch", boom)
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(BASELINE) + "\n")
    out = tmp_path / "out.jsonl"
    assert cli.main(["evaluate-batch", str(path), "--output", str(out), "--no-progress"]) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]
    out.write_text("the previous results\n")
    assert cli.main(["evaluate-batch", str(path), "--output", str(out), "--no-progress"]) == 4
    assert out.read_text() == "the previous results\n"  # a failed run leaves the old file as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "out.jsonl"]


# -- signals: the workers end with the batch, and no partial output is left


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``, read from /proc."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize(("signal_number", "status"), [(15, 143), (2, 130)])
def test_a_signal_ends_the_workers_and_removes_the_partial_output(
    tmp_path: Path, signal_number: int, status: int
) -> None:
    clients = tmp_path / "clients.jsonl"
    with clients.open("w", encoding="utf-8") as handle:
        for n in range(30_000):
            handle.write(json.dumps({"id": n, "facts": {**BASELINE, "fitzpatrick": 1 + n % 6}}) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine",
            "evaluate-batch",
            str(clients),
            "--workers",
            "2",
            "--output",
            str(out / "r.jsonl"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        while True:  # the first results have been written (to the temporary file)
            assert process.poll() is None, process.communicate()
            written = [p for p in out.iterdir() if p.stat().st_size > 0]
            if written and written[0].read_bytes().count(b"\n") >= 1:
                break
            time.sleep(0.05)
        assert [p.name.endswith(".partial") for p in written] == [True]
        workers = _children(process.pid)
        assert len(workers) >= 2, workers  # two workers (and multiprocessing's resource tracker)
        process.send_signal(signal_number)
        stdout, stderr = process.communicate(timeout=60)  # returns only once nothing holds stderr open
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == status, stderr.decode()
    assert stderr.decode() == ("terminated\n" if status == 143 else "interrupted\n")
    assert stdout == b""
    assert list(out.iterdir()) == []  # neither the result nor the temporary file
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "a worker outlived the batch"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_workers_end_soon_after_the_batch_is_killed_outright(tmp_path: Path) -> None:
    """SIGKILL gives the batch no chance to stop its workers: each sees its parent gone and exits.

    The batch reads its records from a pipe this test holds open, so nothing but the parent's
    death can end a worker (its work queue stays open in every process of the pool).
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "evaluate-batch", "-", "--workers", "2", "--no-progress"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None
    workers: set[int] = set()
    try:
        record = json.dumps({"facts": BASELINE}) + "\n"
        process.stdin.write(record.encode() * 200)  # enough for the pool to start and take work
        process.stdin.flush()
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, process.returncode
            workers = _children(process.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, workers  # two workers (and multiprocessing's resource tracker)
        process.kill()
        process.wait(timeout=30)
        deadline = time.monotonic() + 20  # each worker looks every PARENT_CHECK_SECONDS (0.5 s)
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)], "a worker outlived its killed parent"
    finally:
        process.stdin.close()
        if process.poll() is None:
            process.kill()
        for pid in workers:  # never leave a process behind, whatever failed above
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_an_output_folder_without_write_permission_exits_74(tmp_path: Path, jsonl: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = _cli("evaluate-batch", str(jsonl), "--output", str(folder / "out.jsonl"))
    finally:
        folder.chmod(0o700)
    assert result.returncode == 74, result.stderr.decode()
    assert result.stderr.startswith(b"error: cannot write") and b"Permission denied" in result.stderr
    assert list(folder.iterdir()) == []


def test_the_shipped_batch_examples_give_the_same_plans_in_jsonl_and_csv(protocol: engine.Protocol) -> None:
    """examples/clients.jsonl and .csv (the README's batch and diff examples) hold the same clients, all valid."""
    jsonl = _cli("evaluate-batch", "examples/clients.jsonl", "--no-progress")
    csv_run = _cli("evaluate-batch", "examples/clients.csv", "--no-progress")
    assert jsonl.returncode == csv_run.returncode == 0, (jsonl.stderr + csv_run.stderr).decode()
    from_jsonl = [json.loads(line) for line in _lines(jsonl.stdout)]
    from_csv = [json.loads(line) for line in _lines(csv_run.stdout)]
    records = [json.loads(line) for line in (ROOT / "examples" / "clients.jsonl").read_text().splitlines()]
    assert [r["id"] for r in from_jsonl] == [r["id"] for r in from_csv] == [r["id"] for r in records]
    assert len(records) >= 5 and len({r["id"] for r in records}) == len(records)
    assert [r["line"] for r in from_csv] == [r["line"] + 1 for r in from_jsonl]  # the CSV header is line 1
    assert [r["plan"] for r in from_jsonl] == [r["plan"] for r in from_csv]
    for line, record in zip(_lines(jsonl.stdout), records, strict=True):
        assert protocol.evaluate(record["facts"]).model_dump_json() in line
    assert len({r["plan"]["status"] for r in from_jsonl}) >= 3  # the examples show different outcomes


@pytest.mark.parametrize("file", [None, "a.jsonl", 'dir/ä "quoted"\\.csv'])
@pytest.mark.parametrize("line", [None, 1, 120_000])
@pytest.mark.parametrize("record_id", [None, 0, -7, 10**199, "client-1", 'ü "x"\\\t', True])
def test_a_plans_head_is_written_as_the_encoder_writes_it(file: str | None, line: int | None, record_id: Any) -> None:
    from engine.batch import _results

    expected = _results._dumps(_results._head(3, line, record_id, file))[:-1] + ',"plan":'
    assert _results._plan_head(3, line, record_id, file) == expected
    plan = '{"status":"planned"}'
    result = engine.BatchResult(3, plan, None, line, record_id, file)
    assert result.to_json() == expected + plan + "}"
