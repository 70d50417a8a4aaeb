"""Traceability: rule -> scenarios -> outcome, from gherkin pickles joined with recorded results.

The checks are exercised pytester-style, as pytest-bdd tests itself: a small project (rules,
a feature, step definitions) is written to a temporary folder and pytest runs it in-process
with the results plugin. The last test applies the same checks to the real features/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine._validate import validate_folder
from engine.authoring._trace import Matrix, build_matrix, index_features, load_results
from engine.cli import main
from tests.conftest import ROOT, RULES

CORPUS = ROOT / "tests" / "corpus" / "trace" / "rules"

CONFTEST = """
from __future__ import annotations

import pytest
from pytest_bdd import given, then


def pytest_bdd_apply_tag(tag, function):
    if tag.startswith("rule:"):
        pytest.mark.rule(id=tag.removeprefix("rule:"))(function)
        return True
    return None


@given("a step that passes")
def passes():
    pass


@then("it fails")
def fails():
    raise AssertionError("the plan was wrong")
"""

FEATURE = """\
Feature: Demo for traceability

  Rule: Pregnancy

    @rule:R-ONE
    Scenario: A pregnant client is not offered the peel
      Given a step that passes

    @rule:R-TWO
    Scenario: The peel is offered
      Given a step that passes
      Then it fails

    @rule:R-TWO @skip
    Scenario: Waiting for sign-off
      Given a step that passes

  @rule:R-ONE
  Scenario Outline: Outline row <n>
    Given a step that passes

    Examples:
      | n |
      | 1 |
      | 2 |
"""


def _project(pytester: pytest.Pytester, feature: str) -> Path:
    pytester.makeini(
        """
        [pytest]
        bdd_features_base_dir = features/
        markers =
            rule(id): the protocol rule a scenario proves
        """
    )
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_features='from pytest_bdd import scenarios\n\nscenarios(".")\n')
    features = pytester.path / "features"
    features.mkdir()
    (features / "demo.feature").write_text(textwrap.dedent(feature), "utf-8")
    shutil.copytree(CORPUS, pytester.path / "rules")
    return features


def _run(pytester: pytest.Pytester, feature: str, *args: str) -> tuple[Matrix, pytest.RunResult]:
    features = _project(pytester, feature)
    results = pytester.path / "results.json"
    run = pytester.runpytest("-p", "tests.trace_results", "--trace-results", str(results), *args)
    spec = validate_folder(pytester.path / "rules")
    return build_matrix(spec, index_features(features), load_results(results)), run


def _codes(matrix: Matrix) -> list[str]:
    return sorted(p.code for p in matrix.problems)


def test_outcomes_are_recorded_and_joined_to_rules(pytester: pytest.Pytester) -> None:
    matrix, run = _run(pytester, FEATURE)
    run.assert_outcomes(passed=3, failed=1, skipped=1)
    assert (matrix.pickles, matrix.collected) == (5, 5)
    one = matrix.row("R-ONE")
    assert one.status == "passed"
    assert [(p.pickle.name, p.outcome) for p in one.proofs] == [
        ("A pregnant client is not offered the peel", "passed"),
        ("Outline row 1", "passed"),
        ("Outline row 2", "passed"),
    ]
    two = matrix.row("R-TWO")
    assert two.status == "failed"
    assert [p.outcome for p in two.proofs] == ["failed", "skipped"]
    assert "the plan was wrong" in (two.proofs[0].message or "")
    assert matrix.row("R-THREE").status == "untested"
    assert _codes(matrix) == ["no-scenario"]
    (problem,) = matrix.problems
    assert (problem.file, problem.line, problem.rule_id) == ("rules.yaml", 19, "R-THREE")


def test_duplicate_scenario_names_are_caught_and_the_count_differs(pytester: pytest.Pytester) -> None:
    feature = """\
    Feature: Duplicate names

      Rule: First
        @rule:R-ONE
        Scenario: Same name
          Given a step that passes

      Rule: Second
        @rule:R-TWO @rule:R-THREE
        Scenario: Same name
          Given a step that passes
    """
    matrix, run = _run(pytester, feature)
    run.assert_outcomes(passed=1)  # pytest-bdd silently keeps one of the two
    assert matrix.pickles == 2 and matrix.collected == 1
    assert _codes(matrix) == ["count-mismatch", "duplicate-scenario-name", "no-result"]
    duplicate = next(p for p in matrix.problems if p.code == "duplicate-scenario-name")
    assert (duplicate.file, duplicate.line) == ("demo.feature", 10)
    assert matrix.row("R-ONE").proofs[0].outcome is None  # the dropped one never ran


def test_a_tag_naming_no_rule_is_caught(pytester: pytest.Pytester) -> None:
    feature = """\
    Feature: Unknown tag
      Given this line looks like a step but is description

      @rule:R-ONE @rule:R-TWO @rule:R-THREE @rule:R-TOW
      Scenario: Everything
        Given a step that passes
    """
    matrix, run = _run(pytester, feature)
    run.assert_outcomes(passed=1)
    assert _codes(matrix) == ["step-in-description", "unknown-rule-tag"]
    unknown = next(p for p in matrix.problems if p.code == "unknown-rule-tag")
    assert (unknown.file, unknown.line, unknown.rule_id) == ("demo.feature", 4, "R-TOW")
    assert "did you mean 'R-TWO'?" in unknown.message


def test_results_of_scenarios_no_longer_in_the_features_are_stale(pytester: pytest.Pytester) -> None:
    matrix, _ = _run(pytester, FEATURE)
    assert not [p for p in matrix.problems if p.code == "stale-result"]
    features = pytester.path / "features"
    (features / "demo.feature").write_text(FEATURE.replace("Outline row", "Example row"), "utf-8")
    spec = validate_folder(pytester.path / "rules")
    later = build_matrix(spec, index_features(features), load_results(pytester.path / "results.json"))
    assert "stale-result" not in _codes(later)  # the same lines and rows: still the same scenarios
    (features / "demo.feature").write_text("\n\n" + FEATURE, "utf-8")
    moved = build_matrix(spec, index_features(features), load_results(pytester.path / "results.json"))
    assert {"stale-result", "no-result"} <= set(_codes(moved))


def test_trace_cli_prints_the_matrix(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    _run(pytester, FEATURE)
    capsys.readouterr()
    rules, results = str(pytester.path / "rules"), str(pytester.path / "results.json")
    assert main(["trace", rules, "--results", results]) == 1  # R-THREE has no scenario, R-TWO failed
    text = capsys.readouterr().out
    assert "| R-ONE | Pregnancy excludes the peel | passed |" in text
    assert "demo.feature:24 Outline row 1 — passed<br>demo.feature:25 Outline row 2 — passed" in text, text
    assert "rules.yaml:19: [no-scenario] R-THREE: no scenario is tagged @rule:R-THREE" in text
    assert main(["trace", rules, "--results", results, "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"] == {
        "rules": 3,
        "untested": 1,
        "passed": 1,
        "failed": 1,
        "pickles": 5,
        "collected": 5,
    }
    # a --results file that does not exist is a usage error (64), not "invalid rules"
    assert main(["trace", rules, "--results", str(pytester.path / "missing.json")]) == 64
    assert "python -m pytest --trace-results" in capsys.readouterr().err


def test_shipped_features_trace_every_rule(tmp_path: Path) -> None:
    """CI gate: every rule has a scenario, every tag names a rule, names are unique, nothing is dropped."""
    results = tmp_path / "collected.json"
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    command += ["tests/bdd", "--trace-results", str(results)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    matrix = build_matrix(validate_folder(RULES), index_features(ROOT / "features"), load_results(results))
    assert matrix.collected == matrix.pickles
    assert not matrix.problems, f"{len(matrix.problems)} traceability problems:\n" + "\n".join(
        p.format() for p in matrix.problems
    )
