"""The compiler: dual-rail (true / false) DNF, matcher-safe packing of rules into rulesets."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import engine
from engine._compile import MAX_CONJUNCTIONS, NODE_BUDGET, compile_protocol, dnf
from engine._spec import AllOf, AnyOf, Atom, NotOf
from engine._validate import validate_folder
from tests.protocols import rule, write_protocol

A = Atom("a", "eq", True, "a")
B = Atom("b", "eq", True, "b")
C = Atom("c", "eq", True, "c")


def evaluate_dnf(conjunctions: list[tuple[tuple[Atom, bool], ...]], world: dict[str, bool]) -> bool:
    return any(all(world[atom.fact] == positive for atom, positive in conj) for conj in conjunctions)


@pytest.mark.parametrize(
    ("condition", "truth"),
    [
        (AllOf((A, B)), lambda w: w["a"] and w["b"]),
        (AnyOf((A, B)), lambda w: w["a"] or w["b"]),
        (NotOf(A), lambda w: not w["a"]),
        (NotOf(AllOf((A, AnyOf((B, NotOf(C)))))), lambda w: not (w["a"] and (w["b"] or not w["c"]))),
        (AnyOf((AllOf((A, B)), AllOf((NotOf(A), C)))), lambda w: (w["a"] and w["b"]) or (not w["a"] and w["c"])),
    ],
)
def test_true_and_false_rails_match_two_valued_logic(condition, truth) -> None:  # type: ignore[no-untyped-def]
    for values in itertools.product([True, False], repeat=3):
        world = dict(zip("abc", values, strict=True))
        assert evaluate_dnf(dnf(condition, True), world) == truth(world)
        assert evaluate_dnf(dnf(condition, False), world) == (not truth(world))


def test_dnf_of_a_product_stops_early_when_too_large() -> None:
    atoms = [Atom(f"f{i}", "eq", True, "") for i in range(12)]
    wide = AllOf(tuple(AnyOf((x, NotOf(x))) for x in atoms))
    assert len(dnf(wide, True)) == MAX_CONJUNCTIONS + 1


def test_rules_are_packed_within_the_node_budget(tmp_path: Path) -> None:
    # A 'within' test compares two fields, and the matcher never shares such a test
    # between rules, so each of these rules adds one entry to a ruleset's stack need.
    rules = [
        rule(
            f"CI-R{i}",
            "contraindication",
            {"level": "absolute"},
            {"any": [{"n": {"at_least": 1 + i % 6}}, {"a": i % 2 == 0}, {"last": {"within": f"{1 + i} days"}}]},
        )
        for i in range(70)
    ]
    spec = validate_folder(write_protocol(tmp_path, rules))
    compiled = compile_protocol(spec)
    assert len(compiled.chunks) > 1
    assert all(chunk.nodes <= NODE_BUDGET for chunk in compiled.chunks)
    assert sorted(r for c in compiled.chunks for r in c.rule_ids) == sorted(f"CI-R{i}" for i in range(70))
    for chunk in compiled.chunks:
        assert "__catch_all" in chunk.definition
        for name, body in chunk.definition.items():
            pattern = body["all"][0]["m"]
            tests = pattern.get("$and", [pattern])
            assert tests[0] == {"_c": 1}, f"{name} is not guarded"


def test_a_protocol_with_many_simultaneously_true_rules_never_overflows_the_matcher(tmp_path: Path) -> None:
    """Every rule true at once is the worst case for the matcher's 64-entry stack (error 303)."""
    rules = [rule(f"CI-T{i}", "contraindication", {"level": "absolute"}, {"a": True}) for i in range(200)]
    rules += [rule(f"CI-U{i}", "contraindication", {"level": "absolute"}, {"n": {"at_least": 1}}) for i in range(100)]
    protocol = engine.load_protocol(write_protocol(tmp_path, rules))
    outcome = protocol.outcomes({"assessment_date": "2026-01-01", "a": True, "n": 3})
    assert all(t.value == "true" for t in outcome.truth.values())
    protocol.close()


def test_derived_facts_are_compiled_in_an_earlier_stratum(tmp_path: Path) -> None:
    from tests.protocols import FACTS, RISK

    facts = {**FACTS, "risk": RISK}
    rules = [
        rule("DER-RISK", "derived", {"fact": "risk", "value": "high"}, {"n": {"at_least": 4}}),
        rule("CI-RISK", "contraindication", {"level": "absolute"}, {"risk": "high"}),
    ]
    spec = validate_folder(write_protocol(tmp_path, rules, facts=facts))
    compiled = compile_protocol(spec)
    assert spec.strata == {"DER-RISK": 0, "CI-RISK": 1}
    assert [c.stratum for c in compiled.chunks] == [0, 1]
