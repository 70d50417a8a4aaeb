"""The matcher keeps one session per ruleset and empties it after each client; failures reset it.

These pin the speed work in ``engine/_adapter.py`` and ``engine/_evaluate.py``: the
session is reused (retracting the client fact instead of deleting the session), the
"definitely false" rulesets run only when a rule could be unknown, and neither changes
an outcome.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

import engine
from engine import _adapter
from engine._adapter import Matcher, live_rulesets
from engine._evaluate import Truth
from engine._names import CATCH_ALL
from tests.conftest import BASELINE

GUARD = {"_c": 1}
OVERFLOW = 70
"""More rules matching one fact at once than the matcher's 64-entry stack holds (error 303)."""


def _ladder() -> dict[str, Any]:
    body: dict[str, Any] = {CATCH_ALL: {"all": [{"m": GUARD}]}}
    for i in range(OVERFLOW):
        body[f"R{i}"] = {"all": [{"m": {"$and": [GUARD, {"$gte": {"x": i}}]}}]}
    body["BOTH"] = {"all": [{"first": {"$and": [GUARD, {"y": 1}]}}, {"second": {"$and": [GUARD, {"z": 1}]}}]}
    return body


@pytest.fixture
def ladder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Matcher]:
    monkeypatch.setattr(_adapter, "_BRANCH", 10**9)  # no branch nodes: 70 siblings overflow the stack
    matcher = Matcher([_ladder()])
    yield matcher
    matcher.close()


def test_many_clients_reuse_one_session_without_cross_talk(ladder: Matcher) -> None:
    for i in range(3000):
        x = i % 3
        fired = ladder.fire(0, {"x": x, "y": 1} if i % 2 else {"x": x, "z": 1})
        assert sorted(fired) == sorted([CATCH_ALL, *(f"R{k}" for k in range(x + 1))])


def test_a_failure_in_a_used_session_leaves_nothing_behind(ladder: Matcher) -> None:
    assert "R0" in ladder.fire(0, {"x": 0, "y": 1})
    with pytest.raises(engine.EngineError, match="303"):
        ladder.fire(0, {"x": 100, "z": 1})
    # the failed client's fact (z=1) must be gone, or BOTH would join it with y=1
    assert sorted(ladder.fire(0, {"x": 0, "y": 1})) == sorted([CATCH_ALL, "R0"])


def test_a_failure_on_the_first_client_rebuilds_the_ruleset(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session that never ran an action cannot be deleted (segfault), so the ruleset is replaced."""
    monkeypatch.setattr(_adapter, "_BRANCH", 10**9)  # no branch nodes: 70 siblings overflow the stack
    gc.collect()
    before = live_rulesets()
    matcher = Matcher([_ladder()])
    with pytest.raises(engine.EngineError, match="303"):
        matcher.fire(0, {"x": 100, "z": 1})
    assert live_rulesets() == before + 1
    assert sorted(matcher.fire(0, {"x": 1, "y": 1})) == sorted([CATCH_ALL, "R0", "R1"])
    matcher.close()
    assert live_rulesets() == before


def _count_fires(protocol: engine.Protocol, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = Matcher.match

    def counting(self: Matcher, index: int, fact: Any) -> list[str]:
        calls.append(index)
        return real(self, index, fact)

    monkeypatch.setattr(Matcher, "match", counting)
    return calls


def test_false_rulesets_run_only_for_clients_with_missing_answers(
    protocol: engine.Protocol, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = protocol._compiled
    assert compiled.false_chunks, "the shipped protocol has conditional rules"
    calls = _count_fires(protocol, monkeypatch)
    complete = protocol.outcomes(BASELINE)
    assert len(calls) == len(compiled.chunks)  # only the "definitely true" rulesets
    assert Truth.UNKNOWN not in complete.truth.values()
    calls.clear()
    partial = protocol.outcomes({k: v for k, v in BASELINE.items() if k != "pregnant"})
    assert len(calls) > len(compiled.chunks)
    assert {r for r, t in partial.truth.items() if t is Truth.UNKNOWN}
    assert all("pregnant" in partial.needs[r] for r, t in partial.truth.items() if t is Truth.UNKNOWN)


def test_each_conditional_rule_has_one_true_and_one_false_ruleset(protocol: engine.Protocol) -> None:
    compiled = protocol._compiled
    true_side = [r for chunk in compiled.chunks for r in chunk.rule_ids]
    false_side = [r for chunk in compiled.false_chunks for r in chunk.rule_ids]
    unconditional = {rule.id for rule in protocol._spec.rules if rule.spec.when is None}
    assert unconditional, "the shipped protocol has rules without a condition"
    assert set(compiled.always) == unconditional
    assert sorted(true_side) == sorted(set(protocol.rule_ids) - unconditional)
    assert sorted(false_side) == sorted(true_side)
    for chunk in compiled.chunks:
        assert all("|T|" in name for name in chunk.definition if name != CATCH_ALL)
    for chunk in compiled.false_chunks:
        assert all("|F|" in name for name in chunk.definition if name != CATCH_ALL)


def test_rules_without_a_condition_are_true_for_every_client(protocol: engine.Protocol) -> None:
    for facts in (BASELINE, {"assessment_date": "2026-11-25"}):
        truth = protocol.outcomes(facts).truth
        assert all(truth[rule_id] is Truth.TRUE for rule_id in protocol._compiled.always)


def test_an_encoded_fact_fires_like_the_mapping_it_came_from() -> None:
    body = {
        CATCH_ALL: {"all": [{"m": GUARD}]},
        "EQ": {"all": [{"m": {"$and": [GUARD, {"kind": "oily"}]}}]},
        "CMP": {"all": [{"m": {"$and": [GUARD, {"$gte": {"last": {"$m": "cut"}}}]}}]},
    }
    one, two = Matcher([body]), Matcher([body])
    try:
        fact = {"kind": "oily", "last": "2026-01-02", "cut": "2026-01-01", "unused": 3}
        encoded = one.encode(fact)
        assert sorted(one.fire(0, encoded)) == sorted(one.fire(0, fact)) == sorted([CATCH_ALL, "EQ", "CMP"])
        one.encode({"kind": "dry"}, into=encoded)
        assert sorted(one.fire(0, encoded)) == sorted([CATCH_ALL, "CMP"])
        with pytest.raises(engine.EngineError, match="another matcher"):
            two.fire(0, encoded)
        with pytest.raises(engine.EngineError, match="float"):
            one.encode({"unused": 0.5})  # checked even when no ruleset tests the field
    finally:
        one.close()
        two.close()


def test_a_fact_left_in_the_session_is_detected_and_the_session_discarded(ladder: Matcher) -> None:
    """Every client fact has the same message id, so one never retracted makes the next assert fail."""
    import json

    from engine import _adapter

    assert sorted(ladder.fire(0, {"x": 0, "y": 1})) == sorted([CATCH_ALL, "R0"])
    handle = ladder._handles[0]
    leftover = _adapter._dre.assert_fact(handle, json.dumps({"sid": "1", "id": "c", "_c": 1, "z": 1}))
    step = _adapter._dre.start_action_for_state(handle, leftover[1])
    pending = step[1] if step else None
    while pending:  # run the leftover's actions, as a half-finished evaluation would have
        pending = _adapter._dre.complete_and_start_action(handle, leftover[1])
    with pytest.raises(engine.EngineError, match="did not accept"):
        ladder.fire(0, {"x": 0, "y": 1})
    # the session was discarded: the leftover (z=1) is gone, or BOTH would join it with y=1
    assert sorted(ladder.fire(0, {"x": 0, "y": 1})) == sorted([CATCH_ALL, "R0"])
