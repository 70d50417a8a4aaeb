"""``pore-protocol diff``: which clients' plans a rule change affects, and how."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine._errors import FactsError
from engine._protocol import load_protocol
from engine.authoring._diff import diff_protocols, read_clients, render_text
from engine.cli import main
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "corpus" / "trace" / "rules"

CAUSE = {"assessment_date": "2026-11-25", "pores": ["congested"]}
CLIENTS = [
    {"id": "pregnant", "facts": {**CAUSE, "pregnant": True}},
    {"id": "not-pregnant", "facts": {**CAUSE, "pregnant": False}},
    {"id": "smoker", "facts": {**CAUSE, "pregnant": False, "smoker": True}},
    {"assessment_date": "2026-11-25", "pores": ["congested"]},
]

INDICATION = """
  pores:
    type: set
    values: [congested]
    indication: true
    label: Pore cause
    description: Why the pores are enlarged.
    question: Why are the pores enlarged?
"""
"""A pore cause, so that the peel's argument for it indicates it (the shared corpus has none)."""

NEW_RULE = """
  - id: R-FOUR
    kind: requirement
    title: Obstetric advice for a pregnant client
    when: {pregnant: true}
    then: {phase: consultation, step: Obstetric advice, instructions: Ask the midwife or obstetrician first.}
    rationale: Written for the diff tests.
    severity: low
    evidence: [{citation: Test corpus, url: "https://example.org/four"}]
"""

SMOKER_FACT = """
  smoker:
    type: boolean
    label: Smoker
    description: The client smokes.
    question: Does the client smoke?
"""


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """OLD is the small corpus; NEW makes pregnancy a caution, drops the aftercare, adds a fact and a rule."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(CORPUS, old)
    shutil.copytree(CORPUS, new)
    for folder in (old, new):
        (folder / "vocabulary.yaml").write_text((folder / "vocabulary.yaml").read_text("utf-8") + INDICATION, "utf-8")
        text = (folder / "rules.yaml").read_text("utf-8")
        text = text.replace(
            "then: {argument: for, strength: weak}",
            "when: {pores: {includes: congested}}\n    then: {argument: for, strength: weak}",
        )
        (folder / "rules.yaml").write_text(text, "utf-8")
    rules = (new / "rules.yaml").read_text("utf-8")
    rules = rules.replace("then: {level: absolute}", "then: {level: relative, advice: Discuss first.}")
    rules = rules.split("  - id: R-THREE")[0].rstrip() + "\n" + NEW_RULE
    (new / "rules.yaml").write_text(rules, "utf-8")
    (new / "vocabulary.yaml").write_text((new / "vocabulary.yaml").read_text("utf-8") + SMOKER_FACT, "utf-8")
    return old, new


@pytest.fixture
def clients_file(tmp_path: Path) -> Path:
    path = tmp_path / "clients.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CLIENTS) + "\n", "utf-8")
    return path


def test_each_client_plan_change_is_described(folders: tuple[Path, Path], clients_file: Path) -> None:
    old, new = (load_protocol(p) for p in folders)
    report = diff_protocols(old, new, read_clients(clients_file))
    assert report.rules_added == ("R-FOUR",)
    assert report.rules_removed == ("R-THREE",)
    assert report.rules_changed == ("R-ONE",)
    by_label = {c.label: c for c in report.clients}

    pregnant = by_label["pregnant"]
    assert (pregnant.old_status, pregnant.new_status) == ("not_suitable", "needs_review")
    assert (pregnant.old_technique, pregnant.new_technique) == (None, "peel.glycolic")
    texts = [c.text for c in pregnant.changes]
    assert "status not_suitable -> needs_review" in texts
    assert "no longer excluded: peel.glycolic (was R-ONE)" in texts
    assert "new caution on peel.glycolic (by R-ONE)" in texts
    assert "new consultation step \u201cObstetric advice\u201d (R-FOUR)" in texts

    not_pregnant = by_label["not-pregnant"]
    assert not_pregnant.old_status == not_pregnant.new_status == "ready"
    assert [c.text for c in not_pregnant.changes] == [
        "aftercare step \u201cSunscreen after the peel\u201d dropped (was R-THREE)"
    ]

    smoker = by_label["smoker"]
    assert smoker.old_status is None and smoker.new_status == "ready"
    (change,) = smoker.changes
    assert change.text.startswith("OLD: invalid facts: ") and "smoker" in change.text
    assert change.text.endswith("NEW: a ready plan")

    unknown = by_label["client 4 (line 4)"]
    assert unknown.old_status == unknown.new_status == "needs_information"
    assert [c.text for c in unknown.changes] == [
        "still pending: peel.glycolic, now because of R-FOUR, R-ONE (was R-ONE)",
        "still asks for pregnant, now because of R-FOUR, R-ONE (was R-ONE)",
    ]

    assert report.summary["status"] == {"not_suitable -> needs_review": 1}
    assert report.summary["edited rules behind the changes"] == {"R-FOUR": 2, "R-ONE": 1, "R-THREE": 1}
    old.close()
    new.close()


def test_identical_folders_change_nothing(folders: tuple[Path, Path], clients_file: Path) -> None:
    old, _ = folders
    first, second = load_protocol(old), load_protocol(old)
    report = diff_protocols(first, second, read_clients(clients_file))
    assert not report.changed and not report.rules_changed
    assert "4 clients evaluated: 0 plans change, 4 unchanged." in render_text(report)
    assert "no plan changes" in render_text(report)


def test_clients_as_a_yaml_list(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text("- id: a\n  facts: {assessment_date: 2026-11-25}\n- {assessment_date: 2026-11-25}\n", "utf-8")
    clients = read_clients(path)
    assert [c.label for c in clients] == ["a", "client 2 (item 2)"]


def test_unreadable_clients_are_a_facts_error(tmp_path: Path) -> None:
    path = tmp_path / "clients.jsonl"
    path.write_text('{"assessment_date": "2026-11-25"}\n{"assessment_date": \n', "utf-8")
    with pytest.raises(FactsError) as exc:
        read_clients(path)
    assert exc.value.issues[0].line == 2
    with pytest.raises(FactsError):
        read_clients(tmp_path / "missing.jsonl")


def test_cli(folders: tuple[Path, Path], clients_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = folders
    assert main(["diff", str(old), str(new), "--clients", str(clients_file)]) == 0
    text = capsys.readouterr().out
    assert "Rules changed: R-ONE" in text
    assert "4 clients evaluated: 4 plans change, 0 unchanged." in text
    assert "\npregnant:\n  - status not_suitable -> needs_review\n" in text
    assert main(["diff", str(old), str(new), "--clients", str(clients_file), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["clients"][0]["status"] == ["not_suitable", "needs_review"]
    assert main(["diff", str(old), str(new), "--clients", str(old / "missing.jsonl")]) == 2
    assert main(["diff", str(old), str(old / "nowhere"), "--clients", str(clients_file)]) == 3
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(old), str(new)])
    assert exc.value.code == 64
