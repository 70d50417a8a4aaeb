"""Batch input: one file, a folder or a glob of JSON Lines, CSV and Parquet files, read in sorted path order."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

import engine
from engine import cli
from engine.authoring import open_clients
from engine.batch import RecordError, open_input
from engine.batch import _inputs as inputs_module
from tests.conftest import BASELINE

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _jsonl(path: Path, *records: Any) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    _jsonl(data / "b.jsonl", {"id": "b1", "facts": BASELINE}, {"id": "b2", "facts": {**BASELINE, "fitzpatrick": 9}})
    (data / "a.csv").write_text("id,assessment_date,fitzpatrick\n\na1,2026-11-25,2\n", "utf-8")
    _jsonl(data / "sub" / "c.jsonl", {"id": "c1", "facts": BASELINE})
    _jsonl(data / ".hidden.jsonl", {"id": "h1", "facts": BASELINE})
    (data / "README.txt").write_text("about the data\n", "utf-8")
    return data


def _where(results: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(Path(r["file"]).name if "file" in r else None, r["record"], r.get("line"), r.get("id")) for r in results]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    status = cli.main(["evaluate-batch", *args, "--no-progress"])
    captured = capsys.readouterr()
    return status, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_a_folder_is_its_batch_files_in_sorted_order_each_counted_on_its_own(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, results, err = _run(capsys, str(folder))
    assert status == 2  # b2's facts are invalid
    assert _where(results) == [("a.csv", 1, 3, "a1"), ("b.jsonl", 1, 1, "b1"), ("b.jsonl", 2, 2, "b2")]
    assert results[0]["file"] == str(folder / "a.csv")
    assert err == f"note: not read, as they are not .jsonl, .ndjson, .csv or .parquet files: {folder / 'README.txt'}\n"


def test_a_glob_may_reach_into_subfolders(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, results, _ = _run(capsys, str(folder / "**" / "*.jsonl"))
    assert status == 2
    assert _where(results) == [("b.jsonl", 1, 1, "b1"), ("b.jsonl", 2, 2, "b2"), ("c.jsonl", 1, 1, "c1")]
    assert [r["file"] for r in results] == [str(folder / "b.jsonl")] * 2 + [str(folder / "sub" / "c.jsonl")]


def test_one_file_keeps_the_envelope_without_a_file(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, results, _ = _run(capsys, str(folder / "sub" / "c.jsonl"))
    assert status == 0 and "file" not in results[0] and _where(results) == [(None, 1, 1, "c1")]
    _, again, _ = _run(capsys, str(folder / "sub" / "*.jsonl"))
    assert again[0]["file"] == str(folder / "sub" / "c.jsonl")  # a glob names its files, even one
    assert {k: v for k, v in again[0].items() if k != "file"} == results[0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nothing-*.jsonl", "no file matches"),
        ("missing.jsonl", "does not exist"),
        ("empty", "holds no JSON Lines, CSV or Parquet file"),
    ],
)
def test_inputs_that_name_no_records_are_refused(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x", "utf-8")
    with pytest.raises(engine.FactsError, match=message):
        open_input(str(tmp_path / name))


def test_too_many_files_are_refused_while_listing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs_module, "MAX_INPUT_FILES", 2)
    with pytest.raises(engine.FactsError, match="holds more than 2 files"):
        open_input(str(folder))
    with pytest.raises(engine.FactsError, match="matches more than 2 files"):
        open_input(str(folder / "**" / "*"))


def test_counting_for_the_progress_bar(folder: Path) -> None:
    assert open_input(str(folder)).count() == 3
    assert open_input("-").count() is None


# -- Parquet


def test_parquet_columns_are_facts_typed_natively_or_as_csv_text(protocol: engine.Protocol, tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["p-1", "p-2", None, "p-4"],
            "assessment_date": [datetime.date(2026, 11, 25)] * 4,
            "fitzpatrick": pa.array([2, None, 3, 2], pa.int64()),
            "pregnant": [False, None, True, False],
            "skin_type": ["oily", "dry", None, "oily"],
            "pore_causes": [["excess_sebum", "congestion"], None, [], ["congestion"]],
            "age": ["30", None, None, "9" * 61],
            "previous_treatments": [[{"technique": "peel.glycolic", "date": datetime.date(2026, 10, 1)}], None, [], []],
        }
    )
    path = tmp_path / "clients.parquet"
    pq.write_table(table, path, row_group_size=2)
    records = list(open_input(str(path)).records(protocol.facts))
    assert [(r.number, r.line, r.id, r.file) for r in records] == [
        (1, None, "p-1", None),
        (2, None, "p-2", None),
        (3, None, None, None),
        (4, None, "p-4", None),
    ]
    assert records[0].facts == {
        "assessment_date": "2026-11-25",
        "fitzpatrick": 2,
        "pregnant": False,
        "skin_type": "oily",
        "pore_causes": ["excess_sebum", "congestion"],
        "age": 30,
        "previous_treatments": [{"technique": "peel.glycolic", "date": "2026-10-01"}],
    }
    assert records[1].facts == {"assessment_date": "2026-11-25", "skin_type": "dry"}  # a null is unknown
    assert isinstance(records[3].facts, RecordError) and "'age' holds a number of 61 digits" in records[3].facts.message
    plan = protocol.evaluate(records[0].facts).model_dump_json()
    assert json.loads(next(engine.evaluate_batch([records[0].facts])).to_json())["plan"] == json.loads(plan)


def test_parquet_gives_the_plans_of_the_same_clients_in_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = [json.loads(line) for line in Path("examples/clients.jsonl").read_text("utf-8").splitlines()]
    rows = [{"id": c["id"], **c["facts"]} for c in clients]
    names = sorted({name for row in rows for name in row})  # from_pylist would keep the first row's columns only
    pq.write_table(pa.table({name: [row.get(name) for row in rows] for name in names}), tmp_path / "clients.parquet")
    _, from_parquet, _ = _run(capsys, str(tmp_path / "clients.parquet"))
    _, from_jsonl, _ = _run(capsys, "examples/clients.jsonl")
    assert [r["plan"] for r in from_parquet] == [r["plan"] for r in from_jsonl]
    assert [r["id"] for r in from_parquet] == [c["id"] for c in clients] and "line" not in from_parquet[0]


def test_a_file_that_is_not_parquet_is_a_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    status, results, err = _run(capsys, str(tmp_path / "broken.parquet"))
    assert status == 2 and results == []
    assert "is not a readable Parquet file" in err and "Traceback" not in err


# -- diff reads the same inputs


def test_diff_reads_csv_folders_and_globs_through_the_batch_readers(folder: Path, protocol: engine.Protocol) -> None:
    clients = list(open_clients(str(folder / "sub" / "*.jsonl"), protocol.facts))
    assert [(c.label, c.facts) for c in clients] == [(f"{folder / 'sub' / 'c.jsonl'}: c1", BASELINE)]
    (folder / "a.csv").write_text("assessment_date,fitzpatrick\n2026-11-25,2\n", "utf-8")
    (csv_client,) = open_clients(str(folder / "a.csv"), protocol.facts)
    assert csv_client.label == "client 1 (line 2)" and csv_client.facts == {
        "assessment_date": "2026-11-25",
        "fitzpatrick": 2,
    }
    _jsonl(folder / "b.jsonl", BASELINE)
    (folder / "b.jsonl").write_text((folder / "b.jsonl").read_text("utf-8") + '{"broken": \n', "utf-8")
    with pytest.raises(engine.FactsError) as exc:
        list(open_clients(str(folder), protocol.facts))
    assert exc.value.issues[0].file == str(folder / "b.jsonl") and exc.value.issues[0].line == 2
