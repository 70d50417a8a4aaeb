"""The durable_rules adapter: its crash workarounds, pinned.

Each test names the durable_rules defect it guards against (see
shared/reference/durable-rules.md); if a workaround is removed, one of these fails.
"""

from __future__ import annotations

import copy
import gc
import threading
from typing import Any

import pytest

import engine
from engine._adapter import Matcher, live_rulesets
from engine._names import CATCH_ALL

GUARD = {"_c": 1}


def definition(**rules: dict[str, Any]) -> dict[str, Any]:
    body = {CATCH_ALL: {"all": [{"m": GUARD}]}}
    for name, test in rules.items():
        body[name] = {"all": [{"m": {"$and": [GUARD, test]}}]}
    return body


def test_fired_rule_names_are_returned() -> None:
    matcher = Matcher([definition(**{"R|T|0": {"x": 1}, "R|F|0": {"$neq": {"x": 1}}})])
    assert sorted(matcher.fire(0, {"x": 1})) == sorted([CATCH_ALL, "R|T|0"])
    assert sorted(matcher.fire(0, {"x": 2})) == sorted([CATCH_ALL, "R|F|0"])
    assert matcher.fire(0, {}) == [CATCH_ALL]
    matcher.close()


def test_rules_with_the_same_pattern_fire_once_and_report_every_name() -> None:
    """Identical patterns are merged into one matcher rule; its firing stands for all of them."""
    matcher = Matcher([definition(**{"A|T|0": {"x": 1}, "B|T|0": {"x": 1}, "C|T|0": {"x": 2}})])
    try:
        assert sorted(matcher.fire(0, {"x": 1})) == sorted([CATCH_ALL, "A|T|0", "B|T|0"])
        assert sorted(matcher.fire(0, {"x": 2})) == sorted([CATCH_ALL, "C|T|0"])
        shorts = matcher.match(0, {"x": 1})
        assert len(shorts) == 2  # the catch-all and the one merged rule
        assert sorted(n for s in shorts for n in matcher.rules(0)[s]) == sorted([CATCH_ALL, "A|T|0", "B|T|0"])
    finally:
        matcher.close()


def test_a_ruleset_without_the_catch_all_is_refused() -> None:
    """delete_state segfaults on a session where no action ran; the catch-all guarantees one."""
    with pytest.raises(engine.EngineError, match="catch-all"):
        Matcher([{"R": {"all": [{"m": {"$and": [GUARD, {"x": 1}]}}]}}])


def test_two_thousand_consecutive_clients_pass_the_1024_session_cap() -> None:
    matcher = Matcher([definition(**{"R|T|0": {"x": 1}})])
    for i in range(2000):
        fired = matcher.fire(0, {"x": i % 2})
        assert ("R|T|0" in fired) == (i % 2 == 1)
    matcher.close()


def test_consecutive_clients_are_isolated() -> None:
    """A fact from one client must never be seen by the next (the session is deleted each time)."""
    join = {
        CATCH_ALL: {"all": [{"m": GUARD}]},
        "BOTH": {"all": [{"first": {"$and": [GUARD, {"x": 1}]}}, {"second": {"$and": [GUARD, {"y": 1}]}}]},
    }
    matcher = Matcher([join])
    assert "BOTH" not in matcher.fire(0, {"x": 1})
    assert "BOTH" not in matcher.fire(0, {"y": 1})  # would fire if the first client's fact had survived
    matcher.close()


def test_a_negative_only_pattern_does_not_loop_on_the_state_fact() -> None:
    """The matcher re-asserts its state document as a fact; the guard keeps patterns off it."""
    matcher = Matcher([definition(**{"R|F|0": {"$neq": {"x": 1}}})])
    assert sorted(matcher.fire(0, {"x": 2})) == sorted([CATCH_ALL, "R|F|0"])
    matcher.close()


def test_floats_are_refused_before_they_reach_the_matcher() -> None:
    matcher = Matcher([definition()])
    with pytest.raises(engine.EngineError, match="float"):
        matcher.fire(0, {"x": 1e-05})
    matcher.close()


def test_rulesets_are_freed_on_close_and_on_garbage_collection() -> None:
    gc.collect()  # other tests leave protocols for the collector; count from a clean slate
    before = live_rulesets()
    matcher = Matcher([definition(), definition()])
    assert live_rulesets() == before + 2
    matcher.close()
    assert live_rulesets() == before
    Matcher([definition()])  # dropped at once
    gc.collect()
    assert live_rulesets() == before


def test_a_closed_matcher_refuses_to_fire() -> None:
    matcher = Matcher([definition()])
    matcher.close()
    with pytest.raises(engine.EngineError, match="closed"):
        matcher.fire(0, {})


def test_the_same_definition_can_be_compiled_twice() -> None:
    """Ruleset names are unique per compile, so rebuild-and-swap works."""
    one = definition(**{"R|T|0": {"x": 1}})
    first, second = Matcher([copy.deepcopy(one)]), Matcher([copy.deepcopy(one)])
    assert "R|T|0" in second.fire(0, {"x": 1})
    first.close()
    second.close()


def test_invalid_definitions_become_engine_errors() -> None:
    bad = {CATCH_ALL: {"all": [{"m": GUARD}]}, "R": {"all": [{"m": {"$foo": {"x": 1}}}]}}
    gc.collect()
    before = live_rulesets()
    with pytest.raises(engine.EngineError, match="refused"):
        Matcher([definition(), bad])
    assert live_rulesets() == before  # the first, valid ruleset was freed too


def test_many_threads_share_one_matcher_safely() -> None:
    matcher = Matcher([definition(**{"R|T|0": {"x": 1}})])
    errors: list[str] = []

    def work(parity: int) -> None:
        for _ in range(300):
            fired = matcher.fire(0, {"x": parity})
            if ("R|T|0" in fired) != (parity == 1):
                errors.append(f"thread {parity} saw {fired}")

    threads = [threading.Thread(target=work, args=(i % 2,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    matcher.close()
