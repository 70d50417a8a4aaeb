"""The compiler packs rules by the adapter's worst-case stack bound; check the bound against durable_rules.

Overflowing the matcher's 64-entry alpha stack raises error 303 (and can crash a reused
session), so the bound must never be below what a fact can really need. These tests
build random rulesets whose bound is at most 64 and assert facts that make every test
pass (the worst case) and random facts; none may overflow. A positive control shows the
bound is tight: one sibling more than 64 does overflow.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import engine
from engine import _adapter
from engine._adapter import STACK_LIMIT, Matcher, StackGauge, _fnv1a32
from engine._compile import NODE_BUDGET, compile_protocol
from engine._names import CATCH_ALL
from engine._validate import validate_folder
from tests.protocols import rule, write_protocol

GUARD = {"_c": 1}
FIELDS = [f"x{i}" for i in range(6)]


def _ruleset(patterns: list[list[dict[str, Any]]]) -> dict[str, Any]:
    body: dict[str, Any] = {CATCH_ALL: {"all": [{"m": GUARD}]}}
    for n, tests in enumerate(patterns):
        body[f"P{n}"] = {"all": [{"m": {"$and": [GUARD, *tests]}}]}
    return body


def _random_patterns(rng: random.Random, limit: int) -> tuple[list[list[dict[str, Any]]], int]:
    """Patterns of shared and unshared tests, added while the bound stays within ``limit``."""
    gauge = StackGauge()
    patterns: list[list[dict[str, Any]]] = []
    while True:
        tests: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 4)):
            field = rng.choice(FIELDS)
            if rng.random() < 0.15:
                tests.append({"$gte": {field: {"$m": "cut"}}})
            else:
                tests.append({"$gte": {field: rng.randint(0, 3)}})
        trial = StackGauge()
        for existing in [*patterns, tests]:
            trial.add(existing)
        if trial.need > limit:
            return patterns, gauge.need
        gauge = trial
        patterns.append(tests)


@pytest.mark.parametrize("seed", range(25))
def test_no_fact_overflows_a_ruleset_within_the_bound(seed: int) -> None:
    rng = random.Random(seed)
    patterns, need = _random_patterns(rng, STACK_LIMIT)
    assert need <= STACK_LIMIT
    matcher = Matcher([_ruleset(patterns)])
    try:
        everything = {**dict.fromkeys(FIELDS, 100), "cut": -1}  # every test passes: the worst case
        fired = matcher.fire(0, everything)
        assert len(fired) == len(patterns) + 1
        for _ in range(20):
            fact = {f: rng.randint(-1, 4) for f in FIELDS if rng.random() < 0.8}
            fact["cut"] = rng.randint(-1, 4)
            matcher.fire(0, fact)
    finally:
        matcher.close()


def test_the_bound_is_tight_for_siblings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_adapter, "_BRANCH", 10**9)  # the rulesets exactly as given: no branch nodes
    for count, overflows in ((STACK_LIMIT, False), (STACK_LIMIT + 1, True)):
        gauge = StackGauge()
        patterns = [[{"$gte": {"x0": -n}}] for n in range(count)]
        for tests in patterns:
            gauge.add(tests)
        assert gauge.need == count
        matcher = Matcher([_ruleset(patterns)])
        try:
            if overflows:
                with pytest.raises(engine.EngineError, match="303"):
                    matcher.fire(0, {"x0": 1})
            else:
                assert len(matcher.fire(0, {"x0": 1})) == count + 1
        finally:
            matcher.close()


def test_branch_nodes_keep_many_siblings_apart_and_every_rule_fires_as_before() -> None:
    """The adapter puts first tests under branch nodes (short hash-table runs); results do not change."""
    count = STACK_LIMIT + 1  # one more sibling than the stack holds: fine under branches
    patterns = [[{"$gte": {f"x{n % 6}": n % 9}}, {"$lte": {"x5": n % 4}}] for n in range(count)]
    matcher = Matcher([_ruleset(patterns)])
    try:
        assert '"$gte":{"_c":-1}' in matcher._texts[0]
        rng = random.Random(7)
        for _ in range(50):
            fact = {f: rng.randint(0, 9) for f in FIELDS if rng.random() < 0.8}
            expected = {
                f"P{n}"
                for n, (first, second) in enumerate(patterns)
                if all(field in fact and fact[field] >= value for field, value in first["$gte"].items())
                and "x5" in fact
                and fact["x5"] <= second["$lte"]["x5"]
            }
            assert set(matcher.fire(0, fact)) == expected | {CATCH_ALL}
    finally:
        matcher.close()


def test_the_bound_counts_waiting_siblings_on_the_way_down() -> None:
    gauge = StackGauge()
    for n in range(1, 33):
        gauge.add([{"$gte": {"x0": n}}])
    for n in range(32):
        gauge.add([{"$gte": {"x0": 0}}, {"$gte": {"x1": n}}])
    assert gauge.need == 32 + 32  # 32 siblings wait while the 33rd pushes its 32 children
    gauge.add([{"$gte": {"x0": 0}}, {"$gte": {"x1": 99}}])
    assert gauge.need == 65


def test_identical_tests_share_a_node_but_field_comparisons_never_do() -> None:
    shared, compared = StackGauge(), StackGauge()
    for _ in range(100):
        shared.add([{"x0": True}])
        compared.add([{"$gte": {"x0": {"$m": "cut"}}}])
    assert shared.need == 1
    assert compared.need == 100


def test_compiled_rulesets_stay_within_the_budget(tmp_path: Path) -> None:
    rules = [
        rule(
            f"CI-R{i}",
            "contraindication",
            {"level": "absolute"},
            {"any": [{"n": {"at_least": i % 6 + 1}}, {"a": i % 2 == 0}, {"kind": ["oily", "dry"][i % 2]}]},
        )
        for i in range(150)
    ]
    compiled = compile_protocol(validate_folder(write_protocol(tmp_path, rules)))
    for chunk in (*compiled.chunks, *compiled.false_chunks):
        gauge = StackGauge()
        for name, body in chunk.definition.items():
            if name != CATCH_ALL:
                gauge.add(body["all"][0]["m"]["$and"][1:])
        assert gauge.need == chunk.nodes <= NODE_BUDGET


def test_field_hashes_match_durable_rules() -> None:
    """The collision check hashes names as the C library does (its constants for 'sid' and 'id')."""
    assert _fnv1a32("sid") == 3593476751
    assert _fnv1a32("id") == 926444256
