"""Every rule must fire: a pytest plugin that fails the run when some rule was never true.

A rule that no test ever makes true may be broken (a misspelt value, a threshold nobody
reaches, a condition that contradicts itself) and nothing would notice. The scenario steps
(``When the protocol is applied``) and the example tests call :func:`record` with the facts
they evaluate; this collects the ids of the rules that were **true** for at least one client.

At the end of the session the plugin compares them with every rule of the shipped protocol
and, when some never fired, prints them and sets the exit status to 1. It only judges a run
that could have fired everything: every scenario and every example test was collected and
ran, nothing was deselected (``-k``, ``-m``, ``--lf``), and all of them passed. Otherwise a
run of a subset would fail for no fault of its own; the plugin then says in one line that the
check was not made. If recording itself broke, every rule would be reported, so the check
cannot pass silently.

Loaded from ``tests/conftest.py`` (``pytest_plugins``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import engine

__all__ = ["FIRED", "SOURCES", "record", "unfired"]

ROOT = Path(__file__).resolve().parent.parent

SOURCES = ("tests/bdd/test_features.py", "tests/test_examples.py")
"""Test files whose tests record firing rules; the check needs all their tests to have run and passed."""

FIRED: set[str] = set()
"""Ids of the rules that were true for at least one client evaluated in this process."""


def record(protocol: engine.Protocol, facts: Mapping[str, Any]) -> None:
    """Note every rule of ``protocol`` that is true for ``facts``."""
    outcome = protocol.outcomes(facts)
    FIRED.update(rule_id for rule_id, truth in outcome.truth.items() if truth == "true")


def unfired(rule_ids: tuple[str, ...] | list[str]) -> list[str]:
    """The rules among ``rule_ids`` that have not fired so far, in the given order."""
    return [rule_id for rule_id in rule_ids if rule_id not in FIRED]


class _FiringCheck:
    """The per-run state and hooks of the check (one instance per pytest configuration)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.collected: set[str] = set()
        self.passed: set[str] = set()
        self.deselected = 0
        self.note = ""

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.collected = {item.nodeid for item in items if _source(item.nodeid)}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.passed and _source(report.nodeid):
            self.passed.add(report.nodeid)

    def incomplete(self, exitstatus: int) -> str | None:
        """Why this run cannot judge rule firing, or None if it can."""
        option = self.config.option
        if exitstatus != 0:
            return "some tests failed"
        if option.collectonly:
            return "tests were only collected"
        if hasattr(self.config, "workerinput") or getattr(option, "numprocesses", None):
            return "tests ran in several processes (run without -n)"
        if self.deselected:
            return f"{self.deselected} tests were deselected"
        found = {_source(nodeid) for nodeid in self.collected}
        missing = [source for source in SOURCES if source not in found]
        if missing:
            return f"{', '.join(missing)} did not run"
        not_passed = self.collected - self.passed
        if not_passed:
            return f"{len(not_passed)} scenario or example tests did not pass"
        return None

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        why = self.incomplete(int(exitstatus))
        if why is not None:
            self.note = f"rule firing check not made: {why}"
            return
        protocol = engine.load_protocol(ROOT / "rules")
        try:
            rule_ids = list(protocol.rule_ids)
        finally:
            protocol.close()
        missing = unfired(rule_ids)
        if missing:
            self.note = (
                f"rule firing check FAILED: {len(missing)} of {len(rule_ids)} rules were never true "
                f"in any scenario or example: {', '.join(missing)}"
            )
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        else:
            self.note = f"rule firing check passed: all {len(rule_ids)} rules fired at least once"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.note:
            failed = self.note.startswith("rule firing check FAILED")
            terminalreporter.write_line(self.note, red=failed, bold=failed)


def _source(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    return path if path in SOURCES else None


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_FiringCheck(config), "pore-protocol-rule-firing")
