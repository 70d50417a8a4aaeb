"""``pore-protocol docs``: the rulebook says every rule in plain English, and the HTML page renders in Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import engine
from engine._english import condition_text
from engine.authoring._docs import build_rulebook, render_html, render_markdown
from engine.authoring._trace import RESULTS_FORMAT, FeatureIndex, index_features, load_results
from engine.cli import main
from tests.conftest import ROOT, RULES

FEATURES = ROOT / "features"


@pytest.fixture(scope="module")
def index() -> FeatureIndex:
    return index_features(FEATURES)


@pytest.fixture(scope="module")
def results_file(index: FeatureIndex, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results file in which every scenario passed except the first that proves a rule, which failed."""
    entries: list[dict[str, Any]] = []
    failing = next(p for p in index.pickles if p.rule_ids)
    for number, pickle in enumerate(index.pickles):
        entries.append(
            {
                "nodeid": f"tests/bdd/test_features.py::test_{number}",
                "feature": pickle.feature,
                "line": pickle.line,
                "name": pickle.name,
                "example": dict(pickle.example) if pickle.example else None,
                "outcome": "failed" if pickle is failing else "passed",
                "message": "E   AssertionError: seeded failure" if pickle is failing else None,
            }
        )
    path = tmp_path_factory.mktemp("results") / "results.json"
    path.write_text(json.dumps({"format": RESULTS_FORMAT, "collected": len(entries), "results": entries}), "utf-8")
    return path


@pytest.fixture(scope="module")
def markdown(protocol: engine.Protocol, index: FeatureIndex, results_file: Path) -> str:
    return render_markdown(build_rulebook(protocol._spec, index, load_results(results_file)))


@pytest.fixture(scope="module")
def page(protocol: engine.Protocol, index: FeatureIndex, results_file: Path) -> str:
    return render_html(build_rulebook(protocol._spec, index, load_results(results_file)))


def test_every_rule_is_in_the_rulebook_in_plain_english(protocol: engine.Protocol, markdown: str) -> None:
    for rule in protocol._spec.rules:
        assert f"### {rule.id}: " in markdown
    # Conditions are written in words, never in the YAML operators.
    for operator in ("at_least:", "one_of:", "includes_any:", "within:", "applies_to:", "{level:"):
        assert operator not in markdown
    rule = protocol._spec.rule("CI-DARK-SKIN-ABLATIVE")
    assert f"- {condition_text(rule.condition, protocol._spec)}." in markdown
    assert "Fitzpatrick skin type is at least 4" in markdown


def test_rationale_evidence_and_scenarios_are_shown(
    protocol: engine.Protocol, index: FeatureIndex, markdown: str
) -> None:
    rule = next(r for r in protocol._spec.rules if any(r.id in p.rule_ids for p in index.pickles))
    section = markdown.split(f"### {rule.id}: ")[1].split("\n### ")[0]
    assert rule.spec.rationale.split()[0] in section
    for citation in protocol._spec.citations(rule):
        assert f"<{citation.url}>" in section
    proving = [p for p in index.pickles if rule.id in p.rule_ids]
    for pickle in proving:
        assert pickle.name.replace("*", "\\*") in section
    first = next(p for p in index.pickles if p.rule_ids)
    assert f"{first.name.replace('*', chr(92) + '*')} ({first.location}): FAILED" in markdown


def test_markdown_is_deterministic(protocol: engine.Protocol, index: FeatureIndex, results_file: Path) -> None:
    results = load_results(results_file)
    first = render_markdown(build_rulebook(protocol._spec, index, results))
    assert first == render_markdown(build_rulebook(protocol._spec, index, results))


def test_html_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", page), "the page must not load assets"
    assert "@import" not in page and "url(" not in page


def test_html_escapes_rule_text(protocol: engine.Protocol) -> None:
    book = build_rulebook(protocol._spec)
    text = render_html(book)
    assert "<script>alert" not in text
    assert "The feature files were not read" in text


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _open_in_chromium(path: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """Load a page headless; return the DOM after scripts ran and every console message."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI (.ci/run installs the Debian package 'chromium')")
        pytest.skip("Chromium is not installed here (apt-get install chromium); CI installs and runs it")
    profile = tmp_path / "profile"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        path.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def test_html_rulebook_renders_in_chromium_without_console_errors(
    protocol: engine.Protocol, page: str, tmp_path: Path
) -> None:
    path = tmp_path / "rulebook.html"
    path.write_text(page, "utf-8")
    dom, console = _open_in_chromium(path, tmp_path)
    assert not console, "console messages:\n" + "\n".join(console)
    assert 'data-ready="yes"' in dom, "the page's script did not finish"
    assert dom.count('<article class="rule"') == len(protocol._spec.rules)
    assert f"{len(protocol._spec.rules)} of {len(protocol._spec.rules)} rules shown" in dom
    assert 'data-status="failed"' in dom and 'class="o-failed"' in dom


def test_the_chromium_check_catches_a_broken_page(tmp_path: Path) -> None:
    """The console check can fail: a script error and a blocked external asset are both reported."""
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'\">"
        '<link rel="stylesheet" href="https://example.org/x.css"></head>'
        "<body><script>document.documentElement.dataset.ready = 'no'; notDefined();</script></body></html>",
        "utf-8",
    )
    dom, console = _open_in_chromium(broken, tmp_path)
    assert any("notDefined" in line for line in console), console
    assert any("Content Security Policy" in line for line in console), console
    assert 'data-ready="no"' in dom


def test_cli_writes_markdown_and_html(results_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", str(RULES), "--results", str(results_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# ") and ": FAILED" in out
    target = tmp_path / "site" / "rulebook.html"
    target.parent.mkdir()  # --output never creates folders (see engine/cli/_output.py)
    assert main(["docs", "--format", "html", "--output", str(target)]) == 0
    assert target.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert capsys.readouterr().out == ""


def test_cli_reports_an_unreadable_results_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "cucumber.json"
    bad.write_text("[]", "utf-8")
    assert main(["docs", "--results", str(bad)]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "not a pore-protocol results file" in captured.err
