"""Three-valued (Kleene) outcomes from the matcher, on a tiny protocol written for the purpose."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

import engine
from tests.protocols import FACTS, RISK, rule, write_protocol

T, F, U = "true", "false", "unknown"
VALUES = {T: True, F: False}


def kleene_and(x: str, y: str) -> str:
    if F in (x, y):
        return F
    return U if U in (x, y) else T


def kleene_or(x: str, y: str) -> str:
    if T in (x, y):
        return T
    return U if U in (x, y) else F


def kleene_not(x: str) -> str:
    return {T: F, F: T, U: U}[x]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[engine.Protocol]:
    facts = {**FACTS, "risk": RISK}
    ci = {"level": "absolute"}
    rules = [
        rule("L-AND", "contraindication", ci, {"all": [{"a": True}, {"b": True}]}),
        rule("L-OR", "contraindication", ci, {"any": [{"a": True}, {"b": True}]}),
        rule("L-NOT", "contraindication", ci, {"not": {"a": True}}),
        rule("L-NAND", "contraindication", ci, {"not": {"all": [{"a": True}, {"b": True}]}}),
        rule("D-WITHIN", "contraindication", ci, {"last": {"within": "6 months"}}),
        rule("H-WITHIN", "contraindication", ci, {"previous_treatment": {"technique": "peel.*", "within": "2 weeks"}}),
        rule("S-HAS", "contraindication", ci, {"causes": {"includes": "x"}}),
        rule("S-LACKS", "contraindication", ci, {"causes": {"excludes": "y"}}),
        rule("N-RANGE", "contraindication", ci, {"n": {"between": [2, 4]}}),
        rule("E-ONE", "contraindication", ci, {"kind": {"one_of": ["oily"]}}),
        rule("DER-HIGH-A", "derived", {"fact": "risk", "value": "high"}, {"a": True}, priority=1),
        rule("DER-HIGH-N", "derived", {"fact": "risk", "value": "high"}, {"n": {"at_least": 5}}, priority=2),
        rule("R-RISK", "contraindication", ci, {"risk": "high"}),
        rule("AC-ALWAYS", "aftercare", {"instruction": "x", "duration": "1 week"}),
    ]
    protocol = engine.load_protocol(write_protocol(tmp_path_factory.mktemp("tiny"), rules, facts=facts))
    yield protocol
    protocol.close()


def outcome(protocol: engine.Protocol, **facts: Any) -> dict[str, str]:
    result = protocol.outcomes({"assessment_date": "2026-06-30", **facts})
    return {rule_id: truth.value for rule_id, truth in result.truth.items()}


@pytest.mark.parametrize(("a", "b"), list(itertools.product([T, F, U], repeat=2)))
def test_and_or_not_follow_kleene_truth_tables(tiny: engine.Protocol, a: str, b: str) -> None:
    facts = {name: VALUES[v] for name, v in (("a", a), ("b", b)) if v != U}
    got = outcome(tiny, **facts)
    assert got["L-AND"] == kleene_and(a, b)
    assert got["L-OR"] == kleene_or(a, b)
    assert got["L-NOT"] == kleene_not(a)
    assert got["L-NAND"] == kleene_not(kleene_and(a, b))


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        ("2026-01-01", T),  # six months after it is 2026-07-01: the wait has not ended on 2026-06-30
        ("2025-12-31", F),  # six months after it is 2026-06-30 (no 31 June): the wait ends that day
        ("2026-06-30", T),
        ("never", F),
        (None, U),
    ],
)
def test_within_is_calendar_exact_and_never_is_outside(tiny: engine.Protocol, last: str | None, expected: str) -> None:
    facts = {"last": last} if last is not None else {}
    assert outcome(tiny, **facts)["D-WITHIN"] == expected


def test_month_arithmetic_clamps_at_month_end(tiny: engine.Protocol) -> None:
    # six months after 2026-02-28 is 2026-08-28; after 2026-03-31 it is 2026-09-30 (no 31 September)
    got = tiny.outcomes({"assessment_date": "2026-08-31", "last": "2026-03-01"})
    assert got.truth["D-WITHIN"].value == T
    got = tiny.outcomes({"assessment_date": "2026-08-31", "last": "2026-02-28"})
    assert got.truth["D-WITHIN"].value == F
    got = tiny.outcomes({"assessment_date": "2026-09-29", "last": "2026-03-31"})
    assert got.truth["D-WITHIN"].value == T  # six months after 31 March ends on 30 September
    got = tiny.outcomes({"assessment_date": "2026-09-30", "last": "2026-03-31"})
    assert got.truth["D-WITHIN"].value == F


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([{"technique": "peel.one", "date": "2026-06-17"}], T),
        ([{"technique": "peel.one", "date": "2026-06-16"}], F),  # exactly two weeks: the wait has ended
        ([{"technique": "laser.two", "date": "2026-06-29"}], F),
        ([], F),
        (None, U),
    ],
)
def test_previous_treatments(tiny: engine.Protocol, history: list[dict[str, str]] | None, expected: str) -> None:
    facts = {"previous_treatments": history} if history is not None else {}
    assert outcome(tiny, **facts)["H-WITHIN"] == expected


@pytest.mark.parametrize(
    ("causes", "has_x", "lacks_y"),
    [(["x"], T, T), (["y"], F, F), ([], F, T), (["x", "y"], T, F), (None, U, U)],
)
def test_sets(tiny: engine.Protocol, causes: list[str] | None, has_x: str, lacks_y: str) -> None:
    got = outcome(tiny, **({"causes": causes} if causes is not None else {}))
    assert (got["S-HAS"], got["S-LACKS"]) == (has_x, lacks_y)


@pytest.mark.parametrize(("n", "expected"), [(1, F), (2, T), (4, T), (5, F), (None, U)])
def test_between_is_inclusive(tiny: engine.Protocol, n: int | None, expected: str) -> None:
    assert outcome(tiny, **({"n": n} if n is not None else {}))["N-RANGE"] == expected


@pytest.mark.parametrize(
    ("facts", "risk", "rule_truth"),
    [
        ({"a": True}, "high", T),  # first rule true
        ({"a": False, "n": 6}, "high", T),  # second rule true
        ({"a": False, "n": 2}, "low", F),  # none true: the default
        ({"n": 6}, None, U),  # first rule unknown: the value cannot be known
        ({"a": False}, None, U),  # second rule unknown
        ({"a": True, "n": 1}, "high", T),
    ],
)
def test_derived_facts_chain_with_first_hit_and_fail_closed(
    tiny: engine.Protocol, facts: dict[str, Any], risk: str | None, rule_truth: str
) -> None:
    result = tiny.outcomes({"assessment_date": "2026-06-30", **facts})
    assert result.derived.get("risk") == risk
    assert result.truth["R-RISK"].value == rule_truth


def test_unknown_rules_name_the_missing_base_facts(tiny: engine.Protocol) -> None:
    result = tiny.outcomes({"assessment_date": "2026-06-30", "n": 6})
    assert result.needs["R-RISK"] == frozenset({"a"})  # through the derived fact
    assert result.needs["L-AND"] == frozenset({"a", "b"})
    assert "AC-ALWAYS" not in result.needs
    assert result.truth["AC-ALWAYS"].value == T


def _lying(matcher: Any, index: int, rule_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ruleset ``index`` report ``rule_id``'s F rail the other way round."""
    rail = {s for s, names in matcher.rules(index).items() if any(n.startswith(f"{rule_id}|F|") for n in names)}
    real = type(matcher).match

    def lying(self: Any, at: int, fact: Any) -> list[str]:
        fired = real(self, at, fact)
        if at != index:
            return fired
        if rail & set(fired):  # the F rail fired: report it silent
            return [s for s in fired if s not in rail]
        return [*fired, min(rail)]  # it did not: report it fired

    monkeypatch.setattr(type(matcher), "match", lying)


def test_an_f_rail_fired_for_a_true_rule_is_an_engine_failure(
    tiny: engine.Protocol, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every rule of an F ruleset asked for an unknown one is cross-checked against its T rail."""
    evaluator = tiny._evaluator
    index = evaluator._false_of["L-AND"]
    assert evaluator._false_of["L-OR"] == index, "rules reading the same facts share an F ruleset"
    facts = {"assessment_date": "2026-06-30", "b": True, "n": 6}  # "a" unknown: L-AND's F rail is asked
    assert outcome(tiny, **{k: v for k, v in facts.items() if k != "assessment_date"})["L-AND"] == U
    _lying(evaluator._matcher, index, "L-OR", monkeypatch)  # L-OR is true (b): its F rail must not fire
    with pytest.raises(engine.EngineError, match="decided both true and false"):
        tiny.outcomes(facts)


def test_a_complete_false_rule_whose_f_rail_is_silent_is_an_engine_failure(
    tiny: engine.Protocol, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other half of the cross-check, on an F ruleset asked with nothing pending (rules reading
    the same facts share an F ruleset, so one that is asked rarely holds a complete false rule)."""
    evaluator = tiny._evaluator
    index = evaluator._false_of["L-AND"]
    checked, encoded = evaluator.read({"assessment_date": "2026-06-30", "a": False, "b": True, "n": 6})
    truth = dict(evaluator.evaluate(checked, encoded).truth)
    assert truth["L-AND"] is engine.Truth.FALSE
    yes = {rule_id for rule_id, value in truth.items() if value is engine.Truth.TRUE}
    assert evaluator._ask_false(index, encoded, set(), truth, yes) == set()
    _lying(evaluator._matcher, index, "L-AND", monkeypatch)
    with pytest.raises(engine.EngineError, match="decided neither way"):
        evaluator._ask_false(index, encoded, set(), truth, yes)
