"""Every kind of rule-authoring error is caught at load time, located, and reported in one pass."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

import engine
from engine._issues import ISSUE_CODES, IssueCode
from engine._validate import validate_folder, validate_folder_partial
from tests.conftest import ROOT
from tests.protocols import FACTS, TECHNIQUES, copy_shipped, rule, write_protocol

RULES_CORPUS = ROOT / "tests" / "corpus" / "rules"


def issues_of(root: Path) -> list[engine.Issue]:
    with pytest.raises(engine.RulesError) as info:
        engine.load_protocol(root)
    return list(info.value.issues)


def only(issues: list[engine.Issue]) -> engine.Issue:
    assert len(issues) == 1, [i.format() for i in issues]
    return issues[0]


def test_a_valid_tiny_protocol_loads(tmp_path: Path) -> None:
    root = write_protocol(tmp_path, [rule("CI-A", "contraindication", {"level": "absolute"}, {"a": True})])
    protocol = engine.load_protocol(root)
    assert protocol.rule_ids == ("CI-A",)
    assert protocol.version == "1.2.3"


def test_unknown_fact_names_file_line_rule_and_suggestion(tmp_path: Path) -> None:
    root = write_protocol(tmp_path, [rule("CI-A", "contraindication", {"level": "absolute"}, {"kidn": "oily"})])
    issue = only(issues_of(root))
    assert issue.file == "rules.yaml"
    assert issue.line is not None and issue.line > 1
    assert issue.rule_id == "CI-A"
    assert "unknown fact 'kidn'" in issue.message
    assert issue.hint == "did you mean 'kind'?"
    assert "rules.yaml:" in issue.format() and "[CI-A]" in issue.format()


@pytest.mark.parametrize(
    ("when", "fragment"),
    [
        ({"kind": 3}, "not a value of kind"),
        ({"kind": "oilly"}, "did you mean 'oily'"),
        ({"n": "high"}, "is a number"),
        ({"n": {"at_least": 7}}, "outside the range"),
        ({"n": {"at_least": 2.5}}, "whole numbers"),
        ({"n": {"between": [5, 2]}}, "can never hold"),
        ({"a": "yes"}, "true or false"),
        ({"a": {"at_least": 1}}, "does not apply to a boolean"),
        ({"n": {"atleast": 1}}, "did you mean 'at_least'"),
        ({"causes": "x"}, "say how to test it"),
        ({"causes": {"includes": "z"}}, "not a value of causes"),
        ({"last": {"within": "six months"}}, "not a period"),
        ({"last": {"within": "0 days"}}, "zero"),
        ({"previous_treatments": {"within": "2 weeks"}}, "previous_treatment"),
        ({"previous_treatment": {"technique": "peel.too", "within": "2 weeks"}}, "did you mean 'peel.one'"),
        ({"a": True, "b": True}, "exactly one key"),
        ([{"a": True}], "wrap a list"),
        ({"all": []}, "non-empty list"),
        ({"start_date": {"within": "1 day"}}, "scheduling only"),
    ],
)
def test_condition_errors(tmp_path: Path, when: Any, fragment: str) -> None:
    root = write_protocol(tmp_path, [rule("CI-A", "contraindication", {"level": "absolute"}, when)])
    issue = only(issues_of(root))
    assert fragment in issue.message + " " + (issue.hint or ""), issue.format()
    assert issue.rule_id == "CI-A"


def test_duplicate_ids_point_at_the_first_definition(tmp_path: Path) -> None:
    first = rule("CI-A", "contraindication", {"level": "absolute"}, {"a": True})
    root = write_protocol(tmp_path, [first, dict(first)])
    issue = only(issues_of(root))
    assert "duplicate rule id CI-A" in issue.message
    assert issue.hint is not None and "rules.yaml:" in issue.hint


def test_unknown_technique_suggests_the_closest(tmp_path: Path) -> None:
    root = write_protocol(
        tmp_path, [rule("CI-A", "contraindication", {"level": "absolute"}, {"a": True}, applies_to=["peel.onne"])]
    )
    issue = only(issues_of(root))
    assert "unknown technique 'peel.onne'" in issue.message
    assert issue.hint == "did you mean 'peel.one'?"


def test_derived_fact_cycle_is_named(tmp_path: Path) -> None:
    facts = dict(FACTS)
    facts["p"] = {
        "type": "boolean",
        "derived": True,
        "default": False,
        "label": "P",
        "description": "p",
        "question": "-",
    }
    facts["q"] = {
        "type": "boolean",
        "derived": True,
        "default": False,
        "label": "Q",
        "description": "q",
        "question": "-",
    }
    rules = [
        rule("DER-P", "derived", {"fact": "p", "value": True}, {"q": True}),
        rule("DER-Q", "derived", {"fact": "q", "value": True}, {"p": True}),
    ]
    issues = issues_of(write_protocol(tmp_path, rules, facts=facts))
    assert any("cycle" in i.message and "p -> q -> p" in i.message for i in issues), [i.format() for i in issues]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"priority": 70000}, "less than or equal to 65535"),
        ({"priority": -1}, "greater than or equal to 0"),
        ({"kind": "contraindicaton"}, "did you mean 'contraindication'"),
        ({"whenn": {"a": True}}, "did you mean 'when'"),
        ({"id": "lower-case"}, "does not have the required form"),
        ({"severity": "severe"}, "Input should be"),
        ({"evidence": []}, "at least 1"),
        ({"evidence": [{"citation": "x y z", "url": "www.example.org"}]}, "does not have the required form"),
    ],
)
def test_envelope_errors(tmp_path: Path, extra: dict[str, Any], fragment: str) -> None:
    body = rule("CI-A", "contraindication", {"level": "absolute"}, {"a": True})
    body.update(extra)
    issue = only(issues_of(write_protocol(tmp_path, [body])))
    assert fragment in issue.message + " " + (issue.hint or ""), issue.format()


@pytest.mark.parametrize(
    ("kind", "then", "fragment"),
    [
        ("contraindication", {"level": "total"}, "Input should be"),
        (
            "contraindication",
            {"level": "absolute", "wait": {"after": "lst", "period": "1 month"}},
            "did you mean 'last'",
        ),
        ("suitability", {"argument": "agianst", "strength": "weak"}, "did you mean 'against'"),
        ("requirement", {"phase": "treatment", "step": "x", "instructions": "y"}, "Input should be"),
        ("sequencing", {"skip_phase": "exfoliation"}, "reason"),
        ("sequencing", {}, "exactly one"),
        ("aftercare", {"instruction": "x", "duration": "forever"}, "not a period"),
        ("derived", {"fact": "a", "value": True}, "not a derived fact"),
    ],
)
def test_effect_errors(tmp_path: Path, kind: str, then: dict[str, Any], fragment: str) -> None:
    issue = only(issues_of(write_protocol(tmp_path, [rule("R-A", kind, then, {"a": True})])))
    assert fragment in issue.message + " " + (issue.hint or ""), issue.format()


def test_every_error_is_reported_in_one_pass(tmp_path: Path) -> None:
    rules = [
        rule("CI-A", "contraindication", {"level": "absolute"}, {"pregant": True}),
        rule("CI-B", "contraindication", {"level": "absolute"}, {"n": {"at_least": 9}}),
        rule("CI-C", "contraindication", {"level": "absolute"}, {"a": True}, applies_to=["laser.tow"]),
    ]
    issues = issues_of(write_protocol(tmp_path, rules))
    assert {i.rule_id for i in issues} == {"CI-A", "CI-B", "CI-C"}


def test_vocabulary_and_catalogue_errors(tmp_path: Path) -> None:
    facts = dict(FACTS)
    facts["bad"] = {"type": "integer", "label": "Bad", "description": "d", "question": "q"}
    facts["Bad Name"] = {"type": "boolean", "label": "x", "description": "d", "question": "q"}
    techniques = dict(TECHNIQUES)
    techniques["peel.three"] = dict(TECHNIQUES["peel.one"], family="laser")
    issues = issues_of(write_protocol(tmp_path, [], facts=facts, techniques=techniques))
    text = "\n".join(i.format() for i in issues)
    assert "needs 'minimum' and 'maximum'" in text
    assert "lower_snake_case" in text
    assert "does not match the id prefix" in text


def test_a_derived_fact_needs_a_default(tmp_path: Path) -> None:
    """Otherwise a client for whom every deriving rule is false leaves it unknown with nothing to ask."""
    facts = dict(FACTS)
    facts["p"] = {"type": "boolean", "derived": True, "label": "P", "description": "p", "question": "-"}
    rules = [rule("DER-P", "derived", {"fact": "p", "value": True}, {"a": True})]
    issue = only(issues_of(write_protocol(tmp_path, rules, facts=facts)))
    assert (issue.file, issue.rule_id) == ("vocabulary.yaml", "p")
    assert "needs a 'default'" in issue.message


def test_missing_files_and_malformed_yaml(tmp_path: Path) -> None:
    root = write_protocol(tmp_path, [])
    (root / "techniques.yaml").unlink()
    (root / "broken.yaml").write_text("rules: [\n")
    text = "\n".join(i.format() for i in issues_of(root))
    assert "no techniques.yaml" in text
    assert "broken.yaml:" in text


def test_a_rule_too_big_for_one_matcher_ruleset_is_refused(tmp_path: Path) -> None:
    big = {"any": [{"all": [{"n": {"is": k}}, {"a": True}, {"b": False}, {"kind": "oily"}]} for k in range(1, 7)]}
    issues = issues_of(write_protocol(tmp_path, [rule("CI-BIG", "contraindication", {"level": "absolute"}, big)]))
    assert any("alternatives" in i.message or "matcher tests" in i.message for i in issues)


def test_shipped_rules_with_a_misspelt_fact_fail_with_line(tmp_path: Path) -> None:
    root = copy_shipped(tmp_path / "rules")
    path = root / "contraindications.yaml"
    text = path.read_text()
    assert "when: {active_infection: true}" in text
    path.write_text(text.replace("when: {active_infection: true}", "when: {active_infecton: true}", 1))
    issue = only(issues_of(root))
    assert issue.file == "contraindications.yaml"
    assert issue.hint == "did you mean 'active_infection'?"
    lines = path.read_text().splitlines()
    assert issue.line is not None and "active_infecton" in lines[issue.line - 1]


def test_rules_must_be_a_list(tmp_path: Path) -> None:
    root = write_protocol(tmp_path, [])
    (root / "rules.yaml").write_text(yaml.safe_dump({"rule": []}))
    assert "single top-level key 'rules'" in only(issues_of(root)).message


# ----------------------------------------------------------------------------- issue codes


def test_the_issue_codes_are_one_documented_table() -> None:
    assert set(typing.get_args(IssueCode)) == set(ISSUE_CODES)
    assert all(text.strip() for text in ISSUE_CODES.values())


# The code of every issue each corpus folder raises (a rule left out can leave a derived fact underived).
CORPUS_CODES: dict[str, set[str]] = {
    "bad-period": {"bad-value"},
    "bad-rule-id": {"bad-value"},
    "bad-version": {"bad-value"},
    "between-reversed": {"bad-condition", "underived-fact"},
    "decimal-number": {"bad-value", "underived-fact"},
    "derived-cycle": {"derived-cycle"},
    "derived-without-default": {"bad-value"},
    "derived-without-rule": {"underived-fact"},
    "duplicate-id": {"duplicate-id"},
    "duplicate-key": {"yaml"},
    "exponent-number": {"bad-value", "underived-fact"},
    "integer-outside-range": {"bad-value", "underived-fact"},
    "invalid-utf8": {"yaml"},
    "malformed-yaml": {"yaml"},
    "missing-key": {"missing-key"},
    "missing-manifest": {"missing-file"},
    "missing-vocabulary": {"missing-file"},
    "priority-negative": {"bad-value", "underived-fact"},
    "priority-out-of-range": {"bad-value", "underived-fact"},
    "python-tag": {"yaml"},
    "rules-not-a-list": {"bad-shape", "underived-fact"},
    "tab-indentation": {"yaml"},
    "type-mismatch": {"bad-value", "underived-fact"},
    "unknown-fact": {"unknown-fact"},
    "unknown-key": {"unknown-key", "missing-key"},
    "unknown-operator": {"bad-condition", "underived-fact"},
    "unknown-technique": {"unknown-technique"},
    "value-outside-enum": {"bad-value"},
    "wait-after-not-a-date": {"wrong-fact"},
    "wrong-kind": {"bad-value"},
    "yaml-alias": {"yaml"},
    "zero-period": {"bad-value"},
}


@pytest.mark.parametrize(("case", "codes"), sorted(CORPUS_CODES.items()))
def test_every_issue_carries_a_code(case: str, codes: set[str]) -> None:
    with pytest.raises(engine.RulesError) as info:
        validate_folder(RULES_CORPUS / case)
    assert {issue.code for issue in info.value.issues} == codes, [i.format() for i in info.value.issues]


def test_every_corpus_folder_has_its_codes() -> None:
    """Only the folder the matcher refuses (not the validator) is without a code here."""
    folders = {p.name for p in RULES_CORPUS.iterdir() if p.is_dir()}
    assert folders - set(CORPUS_CODES) == {"condition-too-large"}


@pytest.mark.parametrize(
    ("when", "code"),
    [
        ({"kidn": "oily"}, "unknown-fact"),
        ({"kind": "oilly"}, "bad-value"),
        ({"n": {"atleast": 1}}, "bad-condition"),
        ({"previous_treatment": {"technique": "peel.too", "within": "2 weeks"}}, "unknown-technique"),
        ({"start_date": {"within": "1 day"}}, "wrong-fact"),
        ({"previous_treatments": {"within": "2 weeks"}}, "wrong-fact"),
    ],
)
def test_condition_issue_codes(tmp_path: Path, when: Any, code: str) -> None:
    root = write_protocol(tmp_path, [rule("CI-A", "contraindication", {"level": "absolute"}, when)])
    assert only(issues_of(root)).code == code


def test_the_code_is_no_part_of_an_issues_identity_or_wording() -> None:
    first = engine.Issue("a.yaml", 3, "CI-A", "rules[0]", "something is wrong", None, "bad-value")
    second = engine.Issue("a.yaml", 3, "CI-A", "rules[0]", "something is wrong", None, "unknown-key")
    assert first == second and hash(first) == hash(second)
    assert first.format() == engine.Issue("a.yaml", 3, "CI-A", "rules[0]", "something is wrong").format()
    earlier = engine.Issue("a.yaml", 2, "CI-A", "rules[0]", "z", None, "yaml")
    assert sorted([second, earlier, first]) == [earlier, second, first]


# ----------------------------------------------------------------------------- partial validation


def test_partial_validation_of_a_valid_folder_is_the_spec(tmp_path: Path) -> None:
    root = copy_shipped(tmp_path / "rules")
    spec, issues = validate_folder_partial(root)
    full = validate_folder(root)
    assert issues == () and spec is not None
    assert (spec.rules, spec.periods, spec.history_selectors, spec.strata, spec.sha256) == (
        full.rules,
        full.periods,
        full.history_selectors,
        full.strata,
        full.sha256,
    )


def test_partial_validation_leaves_out_exactly_the_broken_rules(tmp_path: Path) -> None:
    """As if the folder held only the rules that are fine; each keeps its own line and position."""
    good = [
        rule("CI-B", "contraindication", {"level": "absolute"}, {"last": {"within": "2 weeks"}}),
        rule(
            "SEQ-C",
            "sequencing",
            {"not_before": {"after_previous": "laser.*", "period": "4 weeks"}},
            {"previous_treatment": {"technique": "laser.*", "within": "4 weeks"}},
        ),
    ]
    broken = rule(
        "CI-A",
        "contraindication",
        {"level": "absolute"},
        {"all": [{"last": {"within": "3 days"}}, {"previous_treatment": {"technique": "peel.*", "within": "1 week"}}]},
        applies_to=["peel.onne"],
    )
    repeated = rule("CI-B", "aftercare", {"instruction": "x", "duration": "1 week"}, {"a": True})
    root = write_protocol(tmp_path / "broken", [good[0], broken, good[1], repeated])
    spec, issues = validate_folder_partial(root)
    assert {i.code for i in issues} == {"unknown-technique", "duplicate-id"}
    with pytest.raises(engine.RulesError) as info:
        validate_folder(root)
    assert info.value.issues == tuple(sorted(issues, key=lambda i: i.line or 0))
    assert spec is not None
    alone = validate_folder(write_protocol(tmp_path / "alone", good))
    assert [r.id for r in spec.rules] == [r.id for r in alone.rules] == ["CI-B", "SEQ-C"]
    assert [r.order for r in spec.rules] == [0, 2]
    lines = (root / "rules.yaml").read_text().splitlines()
    assert all(lines[r.line - 1].lstrip("- ").startswith(f"id: {r.id}") for r in spec.rules)
    # What the broken rule tests gives the matcher no field to prepare.
    assert (spec.periods, spec.history_selectors, spec.strata) == (
        alone.periods,
        alone.history_selectors,
        alone.strata,
    )


def test_partial_validation_gives_up_when_more_than_a_rule_is_wrong(tmp_path: Path) -> None:
    facts = dict(FACTS, bad={"type": "integer", "label": "Bad", "description": "d", "question": "q"})
    ok = rule("CI-A", "contraindication", {"level": "absolute"}, {"a": True})
    spec, issues = validate_folder_partial(write_protocol(tmp_path / "vocabulary", [ok], facts=facts))
    assert spec is None and [i.file for i in issues] == ["vocabulary.yaml"]
    # Leaving out a rule in a cycle may leave its fact with no rule deriving it: then nothing is analysed.
    derived = {"type": "boolean", "derived": True, "default": False, "description": "d", "question": "-"}
    facts = dict(FACTS, p=dict(derived, label="P"), q=dict(derived, label="Q"))
    cycle = [
        rule("DER-P", "derived", {"fact": "p", "value": True}, {"q": True}),
        rule("DER-Q", "derived", {"fact": "q", "value": True}, {"p": True}),
    ]
    spec, issues = validate_folder_partial(write_protocol(tmp_path / "cycle", cycle, facts=facts))
    assert spec is None and [i.code for i in issues] == ["derived-cycle"]
    # With another rule deriving that fact, the others are analysed.
    other = rule("DER-P2", "derived", {"fact": "p", "value": True}, {"a": True}, priority=200)
    spec, issues = validate_folder_partial(write_protocol(tmp_path / "cycle2", [*cycle, other], facts=facts))
    assert [i.code for i in issues] == ["derived-cycle"] and issues[0].rule_id == "DER-P"
    assert spec is not None and [r.id for r in spec.rules] == ["DER-Q", "DER-P2"]
    assert spec.strata == {"DER-Q": 1, "DER-P2": 0}


def test_partial_validation_refuses_what_is_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(engine.RulesError, match="does not exist or is not a folder"):
        validate_folder_partial(tmp_path / "absent")
