"""A pytest plugin that records the outcome of every pytest-bdd scenario test in a JSON file.

Enable it with ``python -m pytest --trace-results reports/trace-results.json``; then
``pore-protocol trace --results reports/trace-results.json`` joins the outcomes with the
scenarios read from ``features/`` (see ``engine/authoring/_trace.py`` for the file format).

Why not pytest-bdd's ``--cucumberjson``: it leaves out scenarios skipped at set-up, can
show a scenario whose step is undefined as passed, and carries no inherited tags. This
plugin identifies each test by its feature file, scenario line and example row, taken at
collection time, and records set-up errors, skips and failures alike.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from engine.authoring._trace import RESULTS_FORMAT

__all__ = ["scenario_identity"]

_KEY = pytest.StashKey["_Recorder"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pore-protocol")
    group.addoption(
        "--trace-results",
        metavar="PATH",
        default=None,
        help="write the outcome of every scenario test to PATH (JSON) for 'pore-protocol trace' and 'docs'",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--trace-results", default=None)
    if path:
        recorder = _Recorder(config, Path(path))
        config.stash[_KEY] = recorder
        config.pluginmanager.register(recorder, "pore-protocol-trace-results")


def _template(function: Any) -> Any:
    """The pytest-bdd scenario template bound to a test function, or None for other tests."""
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry
    except ImportError:  # pragma: no cover - pytest-bdd < 8 kept it on the function
        return getattr(function, "__scenario__", None)
    try:
        found = scenario_wrapper_template_registry.get(function)
    except TypeError:
        found = None
    return found if found is not None else getattr(function, "__scenario__", None)


def scenario_identity(item: pytest.Item, features_dir: Path | None) -> dict[str, Any] | None:
    """Feature file, scenario line, name and example row of a scenario test (None for other tests)."""
    function = getattr(item, "function", None)
    if function is None:
        return None
    template = _template(function)
    if template is None:
        return None
    path = Path(template.feature.filename).resolve()
    feature = path.as_posix()
    for base in (features_dir, Path(str(item.config.rootpath))):
        if base is not None and path.is_relative_to(base.resolve()):
            feature = path.relative_to(base.resolve()).as_posix()
            break
    example = None
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "_pytest_bdd_example" in callspec.params:
        example = {str(k): str(v) for k, v in callspec.params["_pytest_bdd_example"].items()}
    return {
        "nodeid": item.nodeid,
        "feature": feature,
        "line": int(template.line_number),
        "name": str(template.name),
        "example": example,
        "outcome": "not run",
        "message": None,
    }


class _Recorder:
    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.config = config
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        try:
            base = config.getini("bdd_features_base_dir")
        except ValueError:  # pytest-bdd not installed
            base = None
        self.features_dir = Path(str(config.rootpath), str(base)) if base else None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            identity = scenario_identity(item, self.features_dir)
            if identity is not None:
                self.entries[item.nodeid] = identity

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.entries.get(report.nodeid)
        if entry is None:
            return
        wasxfail = hasattr(report, "wasxfail")
        if report.when == "setup":
            if report.failed:
                entry.update(outcome="error", message=_first_line(report))
            elif report.skipped:
                entry.update(outcome="xfailed" if wasxfail else "skipped", message=_skip_reason(report))
        elif report.when == "call":
            if wasxfail:
                entry.update(outcome="xfailed" if report.skipped else "xpassed")
            elif report.passed:
                entry.update(outcome="passed")
            elif report.failed:
                entry.update(outcome="failed", message=_first_line(report))
            else:
                entry.update(outcome="skipped", message=_skip_reason(report))
        elif report.when == "teardown" and report.failed:
            entry.update(outcome="error", message=_first_line(report))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        payload = {
            "format": RESULTS_FORMAT,
            "collected": len(self.entries),
            "results": [self.entries[k] for k in sorted(self.entries)],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".trace-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=1)
        os.replace(tmp, self.path)


def _first_line(report: pytest.TestReport) -> str:
    text = report.longreprtext.strip()
    lines = [line for line in text.splitlines() if line.startswith("E ")] or text.splitlines()[-1:]
    return (lines[0] if lines else "failed")[:300]


def _skip_reason(report: pytest.TestReport) -> str | None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])[:300]
    return None
