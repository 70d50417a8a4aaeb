"""``pore-protocol lint``: each finding kind is caught on a folder of seeded mistakes; the shipped rules lint clean;
the registered checks are independent of each other and of the order they run in."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

import engine
import engine.authoring._lint_checks
from engine._errors import Issue
from engine._evaluate import NO_TREATMENT
from engine._model import Period
from engine._names import history_detail_field, history_field, set_member_field
from engine._spec import PREVIOUS_TREATMENTS, AllOf, AnyOf, Atom, NotOf, Op
from engine.authoring._lint import CODES, LOADING_CODES, MAX_PER_CODE, _issue_finding, _load, lint_folder
from engine.authoring._lint_checks import CHECKS, Check, run_checks
from engine.authoring._lint_context import Finding, LintContext
from engine.authoring._logic import Logic, period_days
from engine.cli import main
from tests.conftest import BASELINE, ROOT, RULES

SEEDED = ROOT / "tests" / "corpus" / "lint" / "seeded" / "rules"
TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def seeded() -> Any:
    return lint_folder(SEEDED, today=TODAY)


def _found(report: Any, code: str) -> list[Any]:
    return [f for f in report.findings if f.code == code]


# Each seeded mistake: (code, severity, the rule or item reported first, file, line).
EXPECTED = [
    ("never-true", "error", "CI-NEVER", "contraindications.yaml", 3),
    ("never-true", "error", "SUIT-ENUM-CONTRA", "suitability.yaml", 3),
    ("undeclared-fact", "error", "CI-UNDECLARED", "contraindications.yaml", 102),
    ("masked", "error", "DER-PIH-LOW-MASKED", "derived.yaml", 14),
    ("interval-conflict", "error", "SEQ-GAP-6W", "sequencing.yaml", 3),
    ("interval-conflict", "warning", "laser.yag", "techniques.yaml", 34),
    ("dead-branch", "warning", "CI-DEAD-BRANCH", "contraindications.yaml", 17),
    ("always-true", "warning", "REQ-ALWAYS", "requirements.yaml", 3),
    ("duplicate", "warning", "SUIT-DUP-B", "suitability.yaml", 28),
    ("subsumed", "warning", "CI-NARROW", "contraindications.yaml", 42),
    ("required-but-excluded", "warning", "REQ-PREG-LASER", "requirements.yaml", 13),
    ("required-and-excluded", "info", "REQ-DARK-GLYCOLIC", "requirements.yaml", 24),
    ("gap", "warning", "peel.glycolic", "techniques.yaml", 3),
    ("unindicated-technique", "warning", "peel.glycolic", "techniques.yaml", 3),
    ("agent-timing-conflict", "warning", "REQ-RETINOID-PRIMING", "requirements.yaml", 35),
    ("unreachable-technique", "warning", "peel.blocked", "techniques.yaml", 19),
    ("unreachable-technique", "warning", "laser.orphan", "techniques.yaml", 36),
    ("unreachable-technique", "warning", "laser.yag", "techniques.yaml", 27),
    ("wait-mismatch", "warning", "CI-RETINOID-WAIT", "contraindications.yaml", 85),
    ("wait-mismatch", "warning", "SEQ-PEEL-ANCHOR", "sequencing.yaml", 16),
    ("unused-fact", "warning", "smoker", "vocabulary.yaml", 33),
    ("no-scenario", "warning", "CI-NEVER", "contraindications.yaml", 3),
    ("review-overdue", "warning", "lint-seeded", "protocol.yaml", 7),
    ("not-analysed", "info", None, None, None),
]


@pytest.mark.parametrize(
    ("code", "severity", "first", "file", "line"), EXPECTED, ids=[f"{e[0]}-{e[2]}" for e in EXPECTED]
)
def test_each_seeded_mistake_is_found_with_its_location(
    seeded: Any, code: str, severity: str, first: str | None, file: str | None, line: int | None
) -> None:
    matches = [f for f in _found(seeded, code) if first is None or (f.rule_ids and f.rule_ids[0] == first)]
    assert matches, f"no {code} finding for {first}:\n" + "\n".join(f.format() for f in seeded.findings)
    finding = matches[0]
    assert finding.severity == severity
    if file is not None:
        assert (finding.file, finding.line) == (file, line), finding.format()
    assert (finding.message.endswith(".") and finding.hint) or code == "not-analysed"


def test_every_code_is_exercised_by_the_corpus(seeded: Any) -> None:
    missing = set(CODES) - seeded.codes() - {"review-in-future", "invalid"}  # both tested below
    assert not missing


def test_the_gap_names_the_uncovered_value_and_nothing_else(seeded: Any) -> None:
    (gap,) = [f for f in _found(seeded, "gap") if f.rule_ids[0] == "peel.glycolic"]
    assert "Fitzpatrick skin type is 4:" in gap.message
    assert "SUIT-GLY-LIGHT" in gap.rule_ids and "SUIT-GLY-DARK" in gap.rule_ids


def test_sound_rules_are_not_reported(seeded: Any) -> None:
    """Rules written correctly produce no finding about their conditions or redundancy."""
    for finding in seeded.findings:
        if finding.code in ("never-true", "always-true", "duplicate", "subsumed", "masked", "dead-branch"):
            assert finding.rule_ids[0] not in ("CI-BROAD", "CI-PREG-LASER", "SUIT-DUP-A", "DER-PIH-HIGH")


def test_a_contradiction_is_not_also_reported_as_redundant(seeded: Any) -> None:
    assert not [f for f in seeded.findings if f.code == "subsumed" and f.rule_ids[0] == "CI-NEVER"]


def test_review_date_after_today_is_an_error() -> None:
    report = lint_folder(SEEDED, today=dt.date(2023, 6, 1))
    (finding,) = _found(report, "review-in-future")
    assert finding.severity == "error" and finding.file == "protocol.yaml"
    assert not _found(report, "review-overdue")


def test_review_is_not_overdue_within_the_interval() -> None:
    report = lint_folder(SEEDED, today=dt.date(2024, 12, 1))
    assert not _found(report, "review-overdue")
    report = lint_folder(SEEDED, today=dt.date(2024, 12, 1), review_every=Period(6, "months"))
    assert _found(report, "review-overdue")


def test_without_features_folder_coverage_is_a_note(tmp_path: Path) -> None:
    report = lint_folder(SEEDED, today=TODAY, features=tmp_path / "absent")
    assert not _found(report, "no-scenario")
    assert any("Scenario coverage was not checked" in f.message for f in _found(report, "not-analysed"))


def test_a_folder_that_does_not_load_is_reported_not_raised(tmp_path: Path) -> None:
    broken = tmp_path / "rules"
    shutil.copytree(SEEDED, broken)
    text = (broken / "protocol.yaml").read_text("utf-8").replace("status: draft", "status: final")
    (broken / "protocol.yaml").write_text(text, "utf-8")
    report = lint_folder(broken, today=TODAY)
    assert {f.code for f in report.findings if f.severity == "error"} == {"invalid", "undeclared-fact"}
    (first,) = [f for f in report.findings if f.code == "invalid"]
    assert (first.file, first.line) == ("protocol.yaml", 5) and "'final'" in first.message
    assert report.exit_status() == 3


def test_shipped_rules_lint_without_errors(protocol: engine.Protocol) -> None:
    report = lint_folder(RULES, today=protocol._spec.manifest.last_review)
    errors = [f.format() for f in report.findings if f.severity == "error"]
    assert not errors, "the shipped rules have lint errors:\n" + "\n".join(errors)


def test_cli_exit_status_follows_severity(protocol: engine.Protocol, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(SEEDED), "--today", "2026-11-25"]) == 3
    out = capsys.readouterr().out
    assert "contraindications.yaml:3: error [never-true] CI-NEVER:" in out
    assert out.rstrip().endswith("(24 rules analysed)")
    # The shipped rules have no errors: 0, or 1 with --strict when there are warnings (here: an overdue review).
    reviewed = protocol._spec.manifest.last_review.isoformat()
    assert main(["lint", str(RULES), "--today", reviewed, "--min-severity", "error"]) == 0
    assert main(["lint", str(RULES), "--today", "2031-01-01", "--strict"]) == 1


def test_cli_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(SEEDED), "--today", "2026-11-25", "--format", "json", "--min-severity", "error"]) == 3
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"]["errors"] == 5
    assert {f["severity"] for f in payload["findings"]} == {"error"}
    first = payload["findings"][0]
    assert set(first) == {"severity", "code", "file", "line", "rule_ids", "message", "hint"}


def test_cli_usage_errors_exit_64(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["lint", str(SEEDED), "--today", "25/11/2026"])
    assert exc.value.code == 64
    assert "is not a date written YYYY-MM-DD" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the checks and their registry


def _seeded_context() -> LintContext:
    """A fresh context for the seeded folder (its own analysis caches), as ``lint_folder`` builds it."""
    loaded = _load(SEEDED)
    assert loaded.spec is not None
    return LintContext.build(loaded.spec, loaded.docs, TODAY, SEEDED.parent / "features", Period(12, "months"))


def _same(findings: list[Finding]) -> list[str]:
    return sorted(f.format() for f in set(findings))


def test_every_registered_check_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def recording(registered: Check) -> Check:
        def recorded(ctx: LintContext) -> list[Finding]:
            ran.append(registered.name)
            return list(registered.function(ctx))

        return Check(registered.name, registered.codes, recorded)

    monkeypatch.setattr(engine.authoring._lint_checks, "CHECKS", [recording(c) for c in CHECKS])
    lint_folder(SEEDED, today=TODAY)
    assert ran == [c.name for c in CHECKS]
    assert len(set(ran)) == len(ran), "a check is registered twice"


def test_every_code_has_a_registered_check_or_comes_from_loading() -> None:
    declared = {code for registered in CHECKS for code in registered.codes}
    assert declared <= set(CODES)
    assert set(CODES) == declared | set(LOADING_CODES)


def test_each_check_emits_only_the_codes_it_declares() -> None:
    context = _seeded_context()
    for registered in CHECKS:
        codes = {f.code for f in registered.function(context)}
        assert codes <= set(registered.codes), (registered.name, codes)


def test_checks_do_not_depend_on_the_order_they_run_in(seeded: Any) -> None:
    forward = run_checks(_seeded_context())
    backward = run_checks(_seeded_context(), list(reversed(CHECKS)))
    shuffled = list(CHECKS)
    random.Random(3).shuffle(shuffled)
    assert _same(forward) == _same(backward) == _same(run_checks(_seeded_context(), shuffled))
    # Each check alone, on a context no other check has touched, finds what it finds in the full run.
    alone = [f for registered in CHECKS for f in registered.function(_seeded_context())]
    assert _same(alone) == _same(forward)
    # And the checks are all lint_folder runs after loading.
    assert _same(forward + _load(SEEDED).findings) == sorted(f.format() for f in seeded.findings)


def test_a_check_cannot_name_a_code_that_does_not_exist() -> None:
    from engine.authoring._lint_checks import check

    with pytest.raises(ValueError, match="unknown finding codes"):
        check("never-ture")


def test_validator_issues_map_to_findings_by_code_not_wording() -> None:
    unusual = Issue(
        file="rules.yaml",
        line=7,
        rule_id="CI-X",
        path="rules[2].when.any[0].not.smokes",
        message="no such thing here",
        hint="did you mean 'smoker'?",
        code="unknown-fact",
    )
    finding = _issue_finding(unusual)
    assert (finding.code, finding.severity, finding.file, finding.line, finding.rule_ids) == (
        "undeclared-fact",
        "error",
        "rules.yaml",
        7,
        ("CI-X",),
    )
    assert finding.message == (
        "The condition tests the fact 'smokes' (at rules[2].when.any[0].not.smokes), which the vocabulary does not "
        "declare."
    )
    assert finding.hint == "did you mean 'smoker'? Otherwise declare the fact in vocabulary.yaml"
    # A fact name with a dot in it is named whole.
    dotted = Issue("rules.yaml", 7, "CI-X", "rules[2].when.smo.kes", "?", None, "unknown-fact")
    assert "the fact 'smo.kes' (at" in _issue_finding(dotted).message
    assert _issue_finding(dotted).hint == "Declare the fact in vocabulary.yaml"
    # Wording that looks like an unknown fact, under another code, is reported as it is.
    lookalike = Issue("rules.yaml", 3, "CI-Y", "rules[0].then", "unknown fact 'x'", None, "bad-value")
    assert _issue_finding(lookalike).code == "invalid"
    assert _issue_finding(lookalike).message == "Rules[0].then: unknown fact 'x'."


# ----------------------------------------------------------------------------- the analysis itself


def test_logic_decides_bounds_enums_and_periods(protocol: engine.Protocol) -> None:
    logic = Logic(protocol._spec)
    fitz = protocol.facts["fitzpatrick"].label

    def atom(fact: str, op: Op, value: Any) -> Atom:
        return Atom(fact, op, value, f"{fitz} {op} {value}")

    assert logic.never(AllOf((atom("fitzpatrick", "ge", 5), atom("fitzpatrick", "lt", 3))))
    assert not logic.never(AllOf((atom("fitzpatrick", "ge", 3), atom("fitzpatrick", "lt", 5))))
    assert logic.never(AllOf((atom("skin_type", "eq", "oily"), atom("skin_type", "eq", "dry"))))
    assert logic.always(AnyOf(tuple(atom("skin_type", "eq", v) for v in protocol.facts["skin_type"].values)))
    within = atom("isotretinoin_last_dose", "within", Period(6, "months"))
    assert logic.implies(atom("isotretinoin_last_dose", "within", Period(4, "weeks")), within)
    assert not logic.implies(within, atom("isotretinoin_last_dose", "within", Period(4, "weeks")))
    # A derived fact is analysed through the rules that derive it.
    high = atom("pih_risk", "eq", "high")
    assert logic.implies(atom("fitzpatrick", "ge", 5), high)
    assert logic.never(
        AllOf((high, atom("fitzpatrick", "le", 3), atom("melasma", "eq", False), atom("pih_history", "eq", False)))
    )
    assert logic.implies(NotOf(high), atom("fitzpatrick", "le", 3))


def _assignment(protocol: engine.Protocol, facts: dict[str, Any]) -> dict[str, Any]:
    """The analysis' variables for a complete client, as the matcher would see them."""
    spec = protocol._spec
    anchor = dt.date.fromisoformat(facts["assessment_date"])
    out: dict[str, Any] = {}
    for name, value in facts.items():
        fact = spec.facts[name]
        if fact.type == "set":
            for member in fact.values:
                out[set_member_field(name, member)] = member in value
        elif fact.type == "date":
            out[name] = float("inf") if value == "never" else float((anchor - dt.date.fromisoformat(value)).days)
        elif fact.type == "treatment_history":
            for selector in spec.history_selectors:
                chosen = set(spec.select(selector))
                mine = sorted((t for t in value if t["technique"] in chosen), key=lambda t: t["date"])
                days = [(anchor - dt.date.fromisoformat(t["date"])).days for t in mine]
                out[history_field(selector)] = float(min(days)) if days else float("inf")
                for detail in ("reaction", "response"):  # the latest one's, as the matcher reads it
                    out[history_detail_field(selector, detail)] = mine[-1][detail] if mine else NO_TREATMENT
        else:
            out[name] = value
    return out


def test_logic_agrees_with_the_matcher_on_random_clients(protocol: engine.Protocol) -> None:
    """The analysis reads conditions exactly as the engine decides them (no false findings)."""
    spec = protocol._spec
    logic = Logic(spec)
    rng = random.Random(6)
    anchor = dt.date.fromisoformat(BASELINE["assessment_date"])
    boundaries = sorted({period_days(p) for p in spec.periods})

    def days_ago() -> int:
        while True:  # keep clear of period boundaries, where months are compared by their average length
            days = rng.randint(0, 500)
            if all(abs(days - b) > 4 for b in boundaries):
                return days

    for _ in range(60):
        facts = dict(BASELINE)
        for name, fact in spec.facts.items():
            if fact.derived or fact.planning_only or name == "assessment_date":
                continue
            if fact.type == "boolean":
                facts[name] = rng.random() < 0.3
            elif fact.type == "integer":
                assert fact.minimum is not None and fact.maximum is not None
                facts[name] = rng.randint(fact.minimum, fact.maximum)
            elif fact.type == "enum":
                facts[name] = rng.choice(fact.values)
            elif fact.type == "set":
                facts[name] = [v for v in fact.values if rng.random() < 0.4]
            elif fact.type == "date":
                facts[name] = "never" if rng.random() < 0.3 else (anchor - dt.timedelta(days=days_ago())).isoformat()
        history = spec.facts[PREVIOUS_TREATMENTS]
        facts[PREVIOUS_TREATMENTS] = [
            {
                "technique": rng.choice(list(spec.techniques)),
                "date": (anchor - dt.timedelta(days=days_ago())).isoformat(),
                "reaction": rng.choice(history.reactions),
                "response": rng.choice(history.responses),
            }
            for _ in range(rng.randint(0, 2))
        ]
        truth = protocol.outcomes(facts).truth
        variables = _assignment(protocol, facts)
        for rule in spec.rules:
            expected = truth[rule.id].value == "true"
            assert logic.evaluate(rule.condition, variables) is expected, (rule.id, facts)


def test_findings_are_capped_per_code_with_a_count_of_the_rest(
    seeded: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Twelve copies of one rule make 66 duplicate pairs: 50 are listed, then one finding counts the rest."""
    folder = shutil.copytree(SEEDED, tmp_path / "rules")
    copies = [
        {
            "id": f"SUIT-COPY-{n:02d}",
            "kind": "suitability",
            "title": "Seeded: one rule twelve times",
            "applies_to": ["peel.salicylic"],
            "then": {"argument": "against", "strength": "strong"},
            "rationale": "Seeded for the lint tests; not clinical content.",
            "severity": "low",
            "evidence": [{"citation": "Test corpus", "url": "https://example.org/corpus"}],
        }
        for n in range(12)
    ]
    (folder / "copies.yaml").write_text(json.dumps({"rules": copies}), encoding="utf-8")
    report = lint_folder(folder, today=TODAY, features=tmp_path / "absent")
    before = len(_found(seeded, "duplicate"))
    total = before + 12 * 11 // 2
    listed = [f for f in _found(report, "duplicate") if f.rule_ids]
    (summary,) = [f for f in _found(report, "duplicate") if not f.rule_ids]
    assert len(listed) == MAX_PER_CODE == 50
    assert summary.message.startswith(f"And {total - 50} more [duplicate] findings, not listed")
    assert report.findings.index(summary) == report.findings.index(listed[-1]) + 1
    assert report.count("warning") == sum(1 for f in report.findings if f.severity == "warning") - 1 + (total - 50)
    assert main(["lint", str(folder), "--today", "2026-11-25", "--format", "json"]) == 3
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"]["warnings"] == report.count("warning")
    assert sum(1 for f in payload["findings"] if f["code"] == "duplicate") == 51


def test_a_technique_excluded_whenever_it_is_indicated_is_unreachable(tmp_path: Path) -> None:
    """An argument that does not indicate (skin type alone) cannot make a technique reachable."""
    from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

    facts = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
    cause = rule("SUIT-CAUSE", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}})
    other = rule("SUIT-A", "suitability", {"argument": "for", "strength": "strong"}, {"a": True})
    barred = rule("CI-X", "contraindication", {"level": "absolute"}, {"causes": {"includes": "x"}})
    for body in (cause, other, barred):
        body["applies_to"] = ["peel.one"]
    folder = write_protocol(
        tmp_path / "rules", [cause, other, barred], facts=facts, techniques={"peel.one": TECHNIQUES["peel.one"]}
    )
    report = lint_folder(folder, today=TODAY, features=tmp_path / "absent")
    [found] = [f for f in report.findings if f.code == "unreachable-technique"]
    assert found.rule_ids[0] == "peel.one" and "no cause argument indicates it" in found.message
    assert not [f for f in report.findings if f.code == "unindicated-technique"]


def _step(rule_id: str, agents: list[dict[str, Any]], when: Any = None) -> dict[str, Any]:
    from tests.protocols import rule

    then = {"phase": "pre_treatment", "step": rule_id, "instructions": "As the agents say.", "agents": agents}
    if any(a.get("role", "uses") == "uses" and "first session" in a.get("from", "") for a in agents):
        then["lead_time"] = "4 weeks"
    return rule(rule_id, "requirement", then, when)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (  # priming with a retinoid while a washout pauses it
            [
                _step("REQ-PRIME", [{"agent": "retinoid", "from": "assessment", "until": "last session"}]),
                _step("REQ-WASH", [{"agent": "retinoid", "role": "withholds", "from": "2 weeks before first session"}]),
            ],
            [("REQ-PRIME", "REQ-WASH")],
        ),
        (  # an antiviral for 10 days after each session in one step, 14 in the other
            [
                _step(
                    "REQ-AV-A",
                    [
                        {
                            "agent": "antiviral",
                            "from": "2 days before each session",
                            "until": "10 days after each session",
                        }
                    ],
                ),
                _step(
                    "REQ-AV-B",
                    [
                        {
                            "agent": "antiviral",
                            "from": "2 days before each session",
                            "until": "14 days after each session",
                        }
                    ],
                ),
            ],
            [("REQ-AV-A", "REQ-AV-B")],
        ),
        (  # one use ends the day the pause starts: they follow each other
            [
                _step(
                    "REQ-PRIME", [{"agent": "retinoid", "from": "assessment", "until": "2 weeks before first session"}]
                ),
                _step("REQ-WASH", [{"agent": "retinoid", "role": "withholds", "from": "2 weeks before first session"}]),
            ],
            [],
        ),
        (  # a pause inside the step's own use is its design
            [
                _step(
                    "REQ-PRIME",
                    [
                        {"agent": "retinoid", "from": "assessment", "until": "last session"},
                        {
                            "agent": "retinoid",
                            "role": "withholds",
                            "from": "2 days before each session",
                            "until": "each session",
                        },
                    ],
                )
            ],
            [],
        ),
        (  # the two steps are never in one plan
            [
                _step("REQ-PRIME", [{"agent": "retinoid", "from": "assessment", "until": "last session"}], {"a": True}),
                _step("REQ-WASH", [{"agent": "retinoid", "role": "withholds", "from": "assessment"}], {"a": False}),
            ],
            [],
        ),
    ],
    ids=["use-and-pause", "two-durations", "sequential", "pause-inside-use", "exclusive-conditions"],
)
def test_agent_timing_conflicts(tmp_path: Path, steps: list[dict[str, Any]], expected: list[tuple[str, str]]) -> None:
    from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

    facts = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
    cause = rule("SUIT-CAUSE", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}})
    agents = {"retinoid": {"title": "Retinoid"}, "antiviral": {"title": "Antiviral"}}
    folder = write_protocol(
        tmp_path / "rules", [cause, *steps], facts=facts, techniques={"peel.one": TECHNIQUES["peel.one"]}, agents=agents
    )
    report = lint_folder(folder, today=TODAY, features=tmp_path / "absent")
    found = [tuple(f.rule_ids) for f in report.findings if f.code == "agent-timing-conflict"]
    assert found == expected
