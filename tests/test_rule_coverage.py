"""The rule-firing check (tests/rule_coverage.py) fails a complete run with a never-true rule,
judges nothing on partial runs, and passes when every rule fired.

Each case runs a small project in a subprocess, so that its record of fired rules starts empty.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import ROOT

CONFTEST = 'pytest_plugins = ("tests.rule_coverage",)\n'

FEATURES = """
import engine
from tests.rule_coverage import FIRED, record

ROOT = {root!r}


def test_one_client_is_evaluated():
    protocol = engine.load_protocol(ROOT + "/rules")
    record(protocol, {{"assessment_date": "2026-11-25", "active_infection": False}})
    if {fire_all}:
        FIRED.update(protocol.rule_ids)


def test_another_scenario():
    pass
"""

EXAMPLES = """
def test_an_example():
    pass
"""


def _project(pytester: pytest.Pytester, fire_all: bool = False) -> None:
    pytester.makeconftest(CONFTEST)
    bdd = pytester.path / "tests" / "bdd"
    bdd.mkdir(parents=True)
    (bdd / "test_features.py").write_text(FEATURES.format(root=str(ROOT), fire_all=fire_all), "utf-8")
    (pytester.path / "tests" / "test_examples.py").write_text(EXAMPLES, "utf-8")


@pytest.fixture(autouse=True)
def _import_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """The subprocess imports engine and tests.rule_coverage from this checkout."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *args, timeout=300)


def test_a_complete_run_with_a_rule_that_never_fired_fails(pytester: pytest.Pytester) -> None:
    _project(pytester)
    result = _run(pytester)
    result.assert_outcomes(passed=3)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["rule firing check FAILED: * rules were never true *CI-ACTIVE-INFECTION*"])


def test_a_complete_run_where_every_rule_fired_passes(pytester: pytest.Pytester) -> None:
    _project(pytester, fire_all=True)
    result = _run(pytester)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["rule firing check passed: all * rules fired at least once"])


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("-k", "one_client"), "* tests were deselected"),
        (("tests/bdd",), "tests/test_examples.py did not run"),
        (("--collect-only",), "tests were only collected"),
    ],
    ids=["deselected", "subset", "collect-only"],
)
def test_a_partial_run_is_not_judged(pytester: pytest.Pytester, args: tuple[str, ...], why: str) -> None:
    _project(pytester)
    result = _run(pytester, *args)
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"rule firing check not made: {why}"])


def test_a_run_with_a_failing_scenario_is_not_judged_twice(pytester: pytest.Pytester) -> None:
    _project(pytester)
    (pytester.path / "tests" / "test_examples.py").write_text("def test_an_example():\n    assert False\n", "utf-8")
    result = _run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["rule firing check not made: some tests failed"])
