"""The course commands as a clinic's scripts use them: ``check``, ``evaluate --technique`` and ``--format ics``.

The baseline client (assessed 2026-11-25, no risk factor) gets a salicylic acid peel course.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import icalendar
import pytest

from engine.cli import main
from tests.cli.test_cli import run
from tests.conftest import BASELINE

COURSE = ["2026-12-01", "2026-12-15", "2026-12-29", "2027-01-12"]


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_an_acceptable_course_exits_0_with_the_json_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = write(tmp_path, "client.json", BASELINE)
    proposal = write(tmp_path, "proposal.json", {"technique": "peel.salicylic", "sessions": COURSE})
    status, out, err = call(capsys, "check", facts, proposal)
    answer = json.loads(out)
    assert status == 0 and err == ""
    assert answer["verdict"] == "acceptable" and answer["violations"] == []
    assert set(answer) >= {"verdict", "technique", "violations", "cautions", "missing_facts", "protocol"}
    assert set(answer["protocol"]) >= {"id", "version", "sha256"}


def test_a_visit_after_new_sunburn_is_not_today(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = write(tmp_path, "client.json", {**BASELINE, "last_tan_or_sunburn": "2026-11-20"})
    proposal = write(tmp_path, "visit.json", {"technique": "peel.salicylic", "sessions": ["2026-11-25"]})
    status, out, _ = call(capsys, "check", facts, proposal, "--format", "text")
    assert status == 1
    assert "Verdict: UNACCEPTABLE" in out and "not today, from 2027-01-01" in out


def test_every_verdict_but_acceptable_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unknown = {k: v for k, v in BASELINE.items() if k != "pregnant"}
    facts = write(tmp_path, "client.json", unknown)
    proposal = write(tmp_path, "proposal.json", {"technique": "peel.salicylic", "sessions": COURSE})
    status, out, _ = call(capsys, "check", facts, proposal)
    assert status == 1 and json.loads(out)["verdict"] == "needs_information"


@pytest.mark.parametrize(
    "proposal",
    [{"technique": "peel.salicylc", "sessions": COURSE}, {"technique": "peel.salicylic", "sessions": ["soon"]}],
)
def test_an_invalid_proposal_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], proposal: Any) -> None:
    facts = write(tmp_path, "client.json", BASELINE)
    status, out, err = call(capsys, "check", facts, write(tmp_path, "proposal.json", proposal))
    assert status == 2 and out == "" and "proposal" in err


def test_facts_and_proposal_cannot_both_be_standard_input(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = call(capsys, "check", "-", "-")
    assert status == 64 and out == "" and "standard input" in err


def test_check_reads_a_yaml_proposal_from_standard_input_without_a_traceback(tmp_path: Path) -> None:
    facts = write(tmp_path, "client.json", BASELINE)
    done = run("check", facts, "-", stdin=b"technique: peel.salicylic\nsessions:\n  - 2026-11-20\n")
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert json.loads(done.stdout)["violations"][0]["rule_id"] == "facts:assessment_date"


def test_the_practitioners_choice_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = write(tmp_path, "client.json", BASELINE)
    status, out, _ = call(capsys, "evaluate", facts, "--technique", "peel.glycolic")
    plan = json.loads(out)
    assert status == 0 and plan["technique"] == "peel.glycolic" and "practitioner" in plan["choice"]
    status, _, err = call(capsys, "evaluate", facts, "--technique", "peel.glycolc")
    assert status == 2 and "peel.glycolic" in err


def test_the_calendar_parses_back_with_every_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = write(tmp_path, "client.json", {**BASELINE, "start_date": "2026-12-01"})
    status, out, _ = call(capsys, "evaluate", facts, "--format", "ics", "--client-id", "C-17")
    assert status == 0
    calendar = icalendar.Calendar.from_ical(out)
    sessions = [e["dtstart"].dt.isoformat() for e in calendar.walk("VEVENT") if "Session" in str(e["summary"])]
    assert sessions == COURSE
    _, again, _ = call(capsys, "evaluate", facts, "--format", "ics", "--client-id", "C-17")
    assert again == out


def test_a_calendar_of_an_undated_plan_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = write(tmp_path, "client.json", BASELINE)
    status, out, err = call(capsys, "evaluate", facts, "--format", "ics")
    assert status == 64 and out == "" and "start_date" in err
    status, _, err = call(capsys, "evaluate", facts, "--client-id", "C-17")
    assert status == 64 and "--format ics" in err
